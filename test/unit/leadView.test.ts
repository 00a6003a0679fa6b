import { createLead, step } from '../../core/engine';
import { defaultCatalog } from '../../sequences/library';
import { leadView } from '../../workflows/view';
import { at, DAY_MS, makeEvent, makeLead } from '../support/engineDriver';

const catalog = defaultCatalog({ holdoutPercent: 0, cadence: { windows: { email: '00:00-24:00,mon-sun' } } });
const start = at('2025-03-03T09:00:00Z');
const lead = makeLead({ id: 'view-1', title: 'VP Operations', industry: 'software', companySize: 300, country: 'DE' });

describe("the lead workflow's state view", () => {
  it('shows the sequence by its step id, the next touch, scores with their breakdown and the counters', () => {
    const { state } = createLead(lead, start, catalog);
    const view = leadView(state, catalog, start + 3 * DAY_MS, start);
    expect(view).toMatchObject({
      leadId: 'view-1',
      stage: 'lead',
      tier: 'active',
      sequence: { id: state.sequence!.id, step: expect.any(String), stepIndex: state.sequence!.stepIndex, enrolledAt: '2025-03-03T09:00:00.000Z' },
      nextTouchAt: '2025-03-06T09:00:00.000Z',
      consent: { email: true, sms: false, in_app: true },
      counters: { touches: 1 },
    });
    expect(view.sequence!.step).toBe(catalog.versions[state.sequence!.version]!.steps[state.sequence!.stepIndex]!.id);
    expect(view.scores.parts).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'fit:industry=software' })]));
  });

  it('shows no next touch outside a sequence, and the open handoff with its time', () => {
    const { state } = createLead(lead, start, catalog);
    const handedOff = step(state, { kind: 'event', event: makeEvent('demo_request', start + DAY_MS, {}, 'view-demo', 'view-1') }, start + DAY_MS, catalog).state;
    const view = leadView(handedOff, catalog, start + 5 * DAY_MS, start + DAY_MS);
    expect(view.openHandoff).toEqual({ id: 'handoff-view-1-1', openedAt: '2025-03-04T09:00:00.000Z' });
    const exited = step(state, { kind: 'exit', reason: 'test' }, start + DAY_MS, catalog).state;
    expect(leadView(exited, catalog, start + 5 * DAY_MS, start + DAY_MS)).not.toHaveProperty('nextTouchAt');
    expect(leadView(exited, catalog, undefined, start + DAY_MS).history).toEqual([expect.objectContaining({ reason: 'manual: test', at: '2025-03-04T09:00:00.000Z' })]);
  });
});
