// The three personas of the buying committee, one core problem each, 3–4 touches ending in a
// middle offer: the economic buyer (cost of manual work → ROI calculator), IT and security (the
// security review → security pack), and the end user (daily friction → checklist).
import { any, defineSequence, did, email, fieldContains, fieldIs, inApp, offer, wait } from '../dsl';

const goals = [did('meeting_booked'), did('demo_request')];

export const economicBuyer = defineSequence({
  id: 'economic-buyer',
  name: 'Economic buyer: the cost of manual hand-offs',
  audience: any(...['chief', 'vp', 'vice president', 'director', 'head', 'founder', 'owner', 'ceo', 'cfo', 'coo'].map((word) => fieldContains('title', word))),
  exitWhen: goals,
  steps: [
    email('problem', 'economic-buyer/problem'),
    wait('3d'),
    email('solution', 'economic-buyer/solution'),
    wait('3d'),
    email('proof', 'economic-buyer/proof'),
    wait('3d'),
    offer('roi-calculator', 'roi_calculator', 'economic-buyer/roi-calculator'),
  ],
});

export const itSecurity = defineSequence({
  id: 'it-security',
  name: 'IT and security: passing the security review',
  audience: any(
    ...['security', 'ciso', 'cto', 'it', 'infrastructure', 'compliance', 'architect'].map((word) => fieldContains('title', word)),
    fieldIs('industry', 'financial services', 'healthcare'),
    did('page_view:security', { within: '30d' }),
  ),
  exitWhen: goals,
  steps: [
    email('problem', 'it-security/problem'),
    wait('3d'),
    email('solution', 'it-security/solution'),
    wait('3d'),
    email('proof', 'it-security/proof'),
    wait('3d'),
    offer('security-pack', 'security_pack', 'it-security/security-pack'),
  ],
});

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
