// The CRM closes the loop: an opportunity or a customer leaves nurture for good; a lost deal is
// recycled with its reason's delay (or disqualified, off the profile).
import { createLead, step } from '../../core/engine';
import type { EngineInput } from '../../core/protocol';
import { defaultCatalog } from '../../sequences/library';
import { at, DAY_MS, makeLead } from '../support/engineDriver';

const catalog = defaultCatalog({ holdoutPercent: 0 });
const T0 = at('2026-03-02T09:00:00Z');
const outcome = (value: Extract<EngineInput, { kind: 'crmOutcome' }>['outcome'], reason?: Extract<EngineInput, { kind: 'crmOutcome' }>['reason']): EngineInput => ({ kind: 'crmOutcome', outcome: value, ...(reason ? { reason } : {}) });

describe('CRM outcomes', () => {
  const lead = () => createLead(makeLead({ id: 'crm-1', email: 'ana@northwind.example', title: 'VP Operations' }), T0, catalog).state;

  it('moves the lead to opportunity, then customer, out of every sequence, and says when it already is', () => {
    const opportunity = step(lead(), outcome('opportunity_created'), T0 + DAY_MS, catalog);
    expect(opportunity.reply).toEqual({ accepted: true });
    expect(opportunity.state.stage).toBe('opportunity');
    expect(opportunity.state.sequence).toBeUndefined();
    expect(opportunity.commands).toContainEqual(expect.objectContaining({ type: 'changeStage', from: 'lead', to: 'opportunity', reason: 'crm: opportunity created' }));
    expect(step(opportunity.state, outcome('opportunity_created'), T0 + 2 * DAY_MS, catalog).reply).toEqual({ accepted: false, reason: 'the lead is already an opportunity' });

    const won = step(opportunity.state, outcome('closed_won'), T0 + 30 * DAY_MS, catalog);
    expect(won.state.stage).toBe('customer');
    expect(step(won.state, outcome('closed_lost', 'no_budget'), T0 + 31 * DAY_MS, catalog).reply).toEqual({ accepted: false, reason: 'the lead is a customer' });
    // A customer is touched no more, whatever it does.
    const later = step(won.state, { kind: 'event', event: { eventId: 'e-1', leadId: 'crm-1', type: 'page_view', occurredAt: new Date(T0 + 40 * DAY_MS).toISOString(), properties: { url: 'https://relay.example/pricing', category: 'pricing' } } }, T0 + 40 * DAY_MS, catalog);
    expect(later.commands.filter((command) => command.type === 'send')).toEqual([]);
  });

  it('recycles a lost deal with its reason’s delay, and disqualifies one off the profile', () => {
    const lost = step(lead(), outcome('closed_lost', 'no_budget'), T0 + DAY_MS, catalog);
    expect(lost.state.stage).toBe('recycled');
    expect(lost.state.recontactAt).toBe(T0 + DAY_MS + 120 * DAY_MS);
    expect(lost.commands).toContainEqual(expect.objectContaining({ type: 'changeStage', to: 'recycled', reason: 'crm: no_budget' }));
    expect(step(lead(), outcome('closed_lost', 'not_icp'), T0 + DAY_MS, catalog).state.stage).toBe('disqualified');
  });
});
