// The long-term pool: dormant, finished and recycled leads hear from us about monthly, and go back
// to an active sequence as soon as they show intent again.
import { defineSequence, did, email, inNurture, wait } from '../dsl';

export const longTermNurture = defineSequence({
  id: 'long-term-nurture',
  name: 'Long-term nurture: monthly, until interest returns',
  audience: inNurture,
  exitWhen: [did('meeting_booked')],
  then: 'long-term-nurture',
  cadence: { maxMultiplier: 1 },
  steps: [email('digest', 'long-term/digest'), wait('30d'), email('story', 'long-term/story'), wait('30d')],
});
