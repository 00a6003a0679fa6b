// Top-of-funnel readers and everyone no other rule claims: a longer educational sequence with
// wider gaps, ending in the guide as its middle offer.
import { defineSequence, did, email, offer, wait } from '../dsl';

export const education = defineSequence({
  id: 'education',
  name: 'Education: from first article to the guide',
  audience: did('content_download', { within: '30d' }),
  exitWhen: [did('meeting_booked'), did('demo_request')],
  steps: [
    email('thanks', 'education/thanks'),
    wait('4d'),
    email('framework', 'education/framework'),
    wait('5d'),
    email('mistakes', 'education/mistakes'),
    wait('5d'),
    offer('guide', 'guide', 'education/guide'),
  ],
});
