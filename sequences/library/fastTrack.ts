// Search and branded traffic, and anyone already looking at pricing: a short sequence that goes
// straight to the pricing guide and hands engaged leads to sales.
import { any, branch, defineSequence, did, email, exit, fieldIs, handoff, offer, sms, wait, waitFor } from '../dsl';

export const fastTrack = defineSequence({
  id: 'fast-track',
  name: 'Fast track: high intent from search',
  description: 'Short: thanks, pricing guide, a meeting offered by text, one follow-up; engaged leads go to sales.',
  audience: any(fieldIs('source', 'search', 'branded', 'paid_search', 'review_site'), did('page_view:pricing', { within: '7d' })),
  exitWhen: [did('meeting_booked')],
  steps: [
    email('welcome', 'fast-track/welcome'),
    wait('2d'),
    offer('pricing-guide', 'pricing_guide', 'fast-track/pricing-guide'),
    waitFor('guide-downloaded', did('content_download:pricing_guide', { since: 'step' }), { timeout: '3d' }),
    branch('engaged', any(did('content_download:pricing_guide', { since: 'enrolment' }), did('email_click', { since: 'enrolment' })), {
      then: 'handoff',
      else: 'meeting-offer',
    }),
    // A text to leads who opted in to SMS (skipped for the others): a meeting offered in one reply.
    sms('meeting-offer', 'fast-track/meeting-offer'),
    email('last-call', 'fast-track/last-call'),
    exit('done', 'fast track finished without engagement'),
    handoff('handoff'),
  ],
});
