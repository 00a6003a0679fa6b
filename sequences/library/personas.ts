// The three personas of the buying committee, one core problem each, 3–4 touches ending in a
// middle offer: the economic buyer (cost of manual work → ROI calculator), IT and security (the
// security review → security pack), and the end user (daily friction → checklist).
import type { Condition } from '../../core/model/conditions';
import type { ContentKind } from '../../core/model/events';
import { any, defineSequence, did, email, fieldContains, fieldIs, inApp, offer, wait } from '../dsl';

const goals = [did('meeting_booked'), did('demo_request')];

/** Problem, solution, proof, three days apart, then the middle offer: templates under `<id>/`. */
function problemToOffer(id: string, name: string, audience: Condition, [offerStep, kind]: [string, ContentKind]) {
  return defineSequence({
    id,
    name,
    audience,
    exitWhen: goals,
    steps: [email('problem', `${id}/problem`), wait('3d'), email('solution', `${id}/solution`), wait('3d'), email('proof', `${id}/proof`), wait('3d'), offer(offerStep, kind, `${id}/${offerStep}`)],
  });
}

export const economicBuyer = problemToOffer(
  'economic-buyer',
  'Economic buyer: the cost of manual hand-offs',
  any(...['chief', 'vp', 'vice president', 'director', 'head', 'founder', 'owner', 'ceo', 'cfo', 'coo'].map((word) => fieldContains('title', word))),
  ['roi-calculator', 'roi_calculator'],
);

export const itSecurity = problemToOffer(
  'it-security',
  'IT and security: passing the security review',
  any(
    ...['security', 'ciso', 'cto', 'it', 'infrastructure', 'compliance', 'architect'].map((word) => fieldContains('title', word)),
    fieldIs('industry', 'financial services', 'healthcare'),
    did('page_view:security', { within: '30d' }),
  ),
  ['security-pack', 'security_pack'],
);

export const endUser = defineSequence({
  id: 'end-user',
  name: 'End user: the daily friction of hand-offs',
  audience: any(...['engineer', 'analyst', 'specialist', 'coordinator', 'manager', 'operations'].map((word) => fieldContains('title', word))),
  exitWhen: goals,
  steps: [
    email('problem', 'end-user/problem'),
    wait('3d'),
    email('how-to', 'end-user/how-to'),
    wait('3d'),
    inApp('tip', 'end-user/tip'),
    wait('1d'),
    offer('checklist', 'checklist', 'end-user/checklist'),
  ],
});
