// The marketers' words for sequences and timelines: every condition readable, every step a line
// with where it may jump, a touch's reason in full; and the intent decay the lead page charts.
import { conditionText, sequenceOutline } from '../../core/sequenceOutline';
import { intentDecay } from '../../core/model/scoring';
import { timelineSummary } from '../../core/timelineText';
import { all, any, branch, defineSequence, did, email, exit, experiment, fieldIs, handoff, not, scoreAtLeast, sms, stageIs, wait, waitFor } from '../../sequences/dsl';

describe('conditionText', () => {
  it('reads nested conditions with their groups', () => {
    const condition = all(any(fieldIs('source', 'webinar', 'event'), did('event_attended', { within: '7d' })), not(stageIs('sql')), scoreAtLeast('total', 40));
    expect(conditionText(condition)).toBe('(source is webinar or event or did event_attended within 7d) and not stage is sql and total score ≥ 40');
  });

  it('says how often and since when an event must have happened', () => {
    expect(conditionText(did('page_view:pricing', { atLeast: 3, since: 'enrolment' }))).toBe('did page_view:pricing at least 3 times since the enrolment');
    expect(conditionText({ score: 'intent', atLeast: 10, below: 30 })).toBe('intent score from 10 to below 30');
  });
});

describe('sequenceOutline', () => {
  const sequence = defineSequence({
    id: 'outline-test',
    name: 'Outline test',
    audience: stageIs('lead'),
    steps: [
      experiment(email('welcome', 'ops/welcome'), { id: 'control', weight: 50 }, { id: 'short', weight: 50, template: 'ops/welcome-short' }),
      wait('2d'),
      waitFor('pricing', did('page_view:pricing'), { timeout: '5d', onTimeout: 'bye' }),
      branch('hot', scoreAtLeast('total', 60), { then: 'sales', else: 'bye' }),
      sms('nudge', 'ops/nudge'),
      handoff('sales'),
      exit('bye', 'not interested'),
    ],
  });

  it('gives each step a line, its jumps and its variants', () => {
    expect(sequenceOutline(sequence).map(({ id, text, jumps }) => ({ id, text, jumps }))).toEqual([
      { id: 'welcome', text: 'Email ops/welcome', jumps: [] },
      { id: 'wait-2', text: 'Wait 2d', jumps: [] },
      { id: 'pricing', text: 'Wait up to 5d until did page_view:pricing', jumps: [{ when: 'on timeout', to: 'bye' }] },
      { id: 'hot', text: 'If total score ≥ 60', jumps: [{ when: 'yes', to: 'sales' }, { when: 'no', to: 'bye' }] },
      { id: 'nudge', text: 'Text ops/nudge', jumps: [] },
      { id: 'sales', text: 'Hand off to sales', jumps: [] },
      { id: 'bye', text: 'Exit (not interested)', jumps: [] },
    ]);
    expect(sequenceOutline(sequence)[0]!.variants.map((variant) => variant.id)).toEqual(['control', 'short']);
  });
});

describe('timelineSummary', () => {
  it('says why a touch went out: rule, tier, scores and caps', () => {
    const detail = {
      channel: 'email',
      status: 'sent',
      sequenceId: 'fast-track',
      stepId: 'welcome',
      why: { rule: 'step welcome of fast-track', tier: 'active', multiplier: 1, scores: { fit: 30, intent: 15, total: 45, parts: [] }, caps: [{ cap: 'email', used: 0, limit: 3 }] },
    };
    expect(timelineSummary('touch', detail)).toBe('email sent: fast-track/welcome, because rule step welcome of fast-track; tier active; score 45 (fit 30, intent 15); caps email 0/3');
  });

  it('names every reason a touch was deferred', () => {
    const detail = { channel: 'email', sequenceId: 'education', stepId: 'thanks', until: '2026-12-07T08:00:00.000Z', reasons: ['window:email', 'cap:spacing'] };
    expect(timelineSummary('touchDeferred', detail)).toBe('email at education/thanks deferred until 2026-12-07T08:00:00.000Z: window:email, cap:spacing');
  });
});

describe('intentDecay', () => {
  it('halves the intent every half-life when the lead stays quiet', () => {
    expect(intentDecay(40, '30d', 60, 30)).toEqual([
      { day: 0, intent: 40 },
      { day: 30, intent: 20 },
      { day: 60, intent: 10 },
    ]);
  });
});
