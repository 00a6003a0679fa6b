import { randomUUID } from 'node:crypto';
import type { LeadEvent } from '../../core/model/events';
import type { Lead } from '../../core/model/lead';
import { simulate } from '../../core/simulate';
import { eventSignal } from '../../workflows/contract';
import { anyHourCatalog, leadState, useTimeSkippingServer, withWorkers } from '../support/harness';

const DAY = 24 * 60 * 60 * 1000;
const env = useTimeSkippingServer();
const catalog = anyHourCatalog();

describe('the preview', () => {
  it('sends the same touches as `nurture simulate` previews for the same timeline', async () => {
    const lead: Lead = { id: `lead-${randomUUID()}`, email: 'kim@example.org', firstName: 'Kim', title: 'Operations Analyst', source: 'webinar' };
    await withWorkers(env(), { catalog }, async ({ startLead, recorder }) => {
      const handle = await startLead({ lead });
      const start = (await leadState(handle)) && recorder.touches[0]!.at;
      const timeline: [number, Omit<LeadEvent, 'eventId' | 'leadId' | 'occurredAt'>][] = [
        [5 * DAY, { type: 'page_view', properties: { url: 'https://relay.example/pricing', category: 'pricing' } }],
        // Off the exact 7-day edge of the fast-track audience's `within: 7d`, which a signal's
        // few milliseconds of delivery would otherwise decide.
        [11.5 * DAY, { type: 'content_download', properties: { assetId: 'handoff-guide', kind: 'guide' } }],
        [13 * DAY, { type: 'email_click', properties: {} }],
        [20 * DAY, { type: 'opt_down', properties: {} }],
      ] as never;
      const events: LeadEvent[] = [];
      for (const [offset, event] of timeline) {
        await env().sleep(start + offset - (await env().currentTimeMs()));
        const signalled = { ...event, eventId: randomUUID(), leadId: lead.id, occurredAt: new Date(await env().currentTimeMs()).toISOString() } as LeadEvent;
        events.push(signalled);
        await handle.signal(eventSignal, signalled);
        await leadState(handle, (current) => current.counters.events === events.length);
      }
      await env().sleep(start + 60 * DAY - (await env().currentTimeMs()));

      const preview = simulate({ catalog, lead, events, start, until: '60d' });
      // The preview has no sales team: compare up to the handoff, after which production's outcome decides.
      const until = preview.handoffs.length ? Date.parse(preview.handoffs[0]!.at) : start + 60 * DAY;
      const production = recorder.touches.filter((t) => t.at <= until);
      expect(production.map((t) => `${t.sequenceId}/${t.stepId}/${t.channel}`)).toEqual(preview.touches.map((t) => `${t.sequence}/${t.step}/${t.channel}`));
      // Signals reach the workflow a few milliseconds after the instant the preview assumes.
      production.forEach((touch, i) => expect(Math.abs(touch.at - Date.parse(preview.touches[i]!.at))).toBeLessThan(60_000));
      expect(preview.touches.length).toBeGreaterThan(4);
      expect(recorder.handoffCalls.filter((c) => c.name === 'openHandoffTask')).toHaveLength(preview.handoffs.length);
    });
  });
});
