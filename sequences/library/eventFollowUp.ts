// People who came to a webinar or an event: a text that same day to those who opted in to SMS (the
// others go straight to the email), the replay by email, then the education track's framework and guide.
import { any, defineSequence, did, email, fieldIs, offer, sms, wait } from '../dsl';

export const eventFollowUp = defineSequence({
  id: 'event-follow-up',
  name: 'Event follow-up: thanks by text, the replay, the guide',
  description: 'Webinar and event attendees: a same-day text to SMS opt-ins, the replay, then the framework and the guide.',
  audience: any(fieldIs('source', 'webinar', 'event'), did('event_attended', { within: '7d' })),
  exitWhen: [did('meeting_booked'), did('demo_request')],
  steps: [
    sms('thanks', 'event-follow-up/thanks'),
    email('replay', 'event-follow-up/replay'),
    wait('4d'),
    email('framework', 'education/framework'),
    wait('5d'),
    offer('guide', 'guide', 'education/guide'),
  ],
});
