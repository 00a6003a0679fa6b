import { randomUUID } from 'node:crypto';
import type { LeadEvent } from '../../core/events';
import type { Lead } from '../../core/lead';
import { eventSignal } from '../../workflows/contract';
import { anyHourCatalog, leadState, useTimeSkippingServer, withWorkers } from './harness';

const DAY = 24 * 60 * 60 * 1000;
const env = useTimeSkippingServer();
const catalog = anyHourCatalog();

function buyer(): Lead {
  return { id: `lead-${randomUUID()}`, email: 'dana@northwind.example', firstName: 'Dana', title: 'Head of Operations', industry: 'software', companySize: 300, country: 'DE', timezone: 'Europe/Berlin' };
}

function pricingView(lead: Lead, at: number): LeadEvent {
  return { eventId: randomUUID(), leadId: lead.id, type: 'page_view', occurredAt: new Date(at).toISOString(), properties: { url: 'https://relay.example/pricing', category: 'pricing' } };
}

describe('lead workflow', () => {
  it('stretches the gaps of a quiet lead over weeks and moves it to the long-term pool', async () => {
    const lead = buyer();
    await withWorkers(env(), { catalog }, async ({ startLead, recorder }) => {
      const handle = await startLead({ lead });
      await env().sleep(70 * DAY);
      const view = await leadState(handle);
      expect(view.tier).toBe('dormant');
      expect(view.sequence?.id).toBe('long-term-nurture');
      const gaps = recorder.touches.slice(1, 4).map((t, i) => t.at - recorder.touches[i]!.at);
      // Three days, then longer each time nobody answers (send windows may push a touch later still).
      expect(gaps[0]).toBeGreaterThanOrEqual(3 * DAY);
      expect(gaps[1]).toBeGreaterThan(gaps[0]!);
      expect(gaps[2]).toBeGreaterThan(4 * DAY);
    });
  });
});

describe('lead workflow, re-engagement and exits', () => {
  it('re-accelerates a cooling lead on a pricing page visit: next touch within 24 hours', async () => {
    // Fit low enough that the visit does not also hand the lead to sales (which pauses nurture).
    const lead: Lead = { id: `lead-${randomUUID()}`, email: 'sam@example.org', title: 'Head of Operations' };
    await withWorkers(env(), { catalog }, async ({ startLead, recorder }) => {
      const handle = await startLead({ lead });
      await env().sleep(9 * DAY);
      const before = await leadState(handle);
      expect(before.tier).toBe('cooling');
      const sentBefore = recorder.touches.length;
      const visitAt = await env().currentTimeMs();
      await handle.signal(eventSignal, pricingView(lead, visitAt));
      expect((await leadState(handle)).tier).toBe('active');
      await env().sleep(1 * DAY);
      const after = await leadState(handle);
      expect(after.tier).toBe('active');
      const next = recorder.touches[sentBefore];
      expect(next).toBeDefined();
      expect(next!.at - visitAt).toBeLessThanOrEqual(DAY);
    });
  });

  it('stops email at once when the lead unsubscribes mid-sequence', async () => {
    const lead = buyer();
    await withWorkers(env(), { catalog }, async ({ startLead, recorder }) => {
      const handle = await startLead({ lead });
      await env().sleep(4 * DAY);
      const sent = recorder.touches.length;
      expect(sent).toBeGreaterThanOrEqual(2);
      await handle.signal(eventSignal, { eventId: randomUUID(), leadId: lead.id, type: 'unsubscribe', occurredAt: new Date(await env().currentTimeMs()).toISOString(), properties: { channel: 'email' } });
      expect((await leadState(handle)).consent.email).toBe(false);
      await env().sleep(40 * DAY);
      expect(recorder.touches.filter((t) => t.channel === 'email')).toHaveLength(sent);
      const view = await leadState(handle);
      expect(view.consent.email).toBe(false);
      expect(view.consentReasons.email).toBe('unsubscribe');
      expect(recorder.decisions).toContainEqual(expect.objectContaining({ type: 'touchSkipped', reason: 'no_consent:unsubscribe' }));
    });
  });
});
