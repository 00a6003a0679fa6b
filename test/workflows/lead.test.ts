import { randomUUID } from 'node:crypto';
import type { LeadEvent } from '../../core/model/events';
import type { Lead } from '../../core/model/lead';
import { enrollUpdate, eventSignal, exitUpdate, leadWorkflowId } from '../../workflows/contract';
import { sendLeadEvents, upsertLead } from '../../api/leadWorkflows';
import { anyHourCatalog, eventually, leadState, useTimeSkippingServer, withWorkers } from '../support/harness';
import { channelCatalog } from '../support/channelTouches';
import { placeOf } from '../../channels/place';

const DAY = 24 * 60 * 60 * 1000;
const env = useTimeSkippingServer();
const catalog = anyHourCatalog();

function buyer(): Lead {
  return { id: `lead-${randomUUID()}`, email: 'dana@northwind.example', firstName: 'Dana', title: 'Head of Operations', industry: 'software', companySize: 300, country: 'DE', timezone: 'Europe/Berlin' };
}

function pricingView(lead: Pick<Lead, 'id'>, at: number): LeadEvent {
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

describe('lead workflow and a new version of its sequence', () => {
  it("moves onto the new version at its next wake-up, as the version's migration says, and sends its next step", async () => {
    const lead = buyer();
    const options = { catalog: anyHourCatalog() };
    await withWorkers(env(), options, async ({ startLead, recorder }) => {
      await startLead({ lead, sequenceId: 'education' });
      await eventually(async () => recorder.touches.find((touch) => touch.leadId === lead.id && touch.stepId === 'thanks'));
      // The workers start on new code: the framework email rewritten, running leads going on at their step.
      const v1 = options.catalog.latest.education!;
      const education = options.catalog.versions[v1]!;
      const v2 = { ...education, migration: 'next-step' as const, steps: education.steps.map((step) => (step.id === 'framework' ? { ...step, template: 'education/mistakes' } : step)) };
      options.catalog = { ...options.catalog, versions: { ...options.catalog.versions, 'education@v2': v2 }, latest: { ...options.catalog.latest, education: 'education@v2' } };
      await env().sleep(6 * DAY);
      const framework = await eventually(async () => recorder.touches.find((touch) => touch.leadId === lead.id && touch.stepId === 'framework'));
      expect(framework).toMatchObject({ template: 'education/mistakes', sequenceVersion: 'education@v2' });
      expect(recorder.decisions).toContainEqual(expect.objectContaining({ type: 'enterSequence', version: 'education@v2', reason: `migrated from ${v1} (next-step) at wait-2` }));
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
      await leadState(handle, (current) => current.tier === 'active');
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
      await leadState(handle, (current) => current.consent.email === false);
      await env().sleep(40 * DAY);
      expect(recorder.touches.filter((t) => t.channel === 'email')).toHaveLength(sent);
      const view = await leadState(handle);
      expect(view.consent.email).toBe(false);
      expect(view.consentReasons.email).toBe('unsubscribe');
      expect(recorder.decisions).toContainEqual(expect.objectContaining({ type: 'touchSkipped', reason: 'no_consent:unsubscribe' }));
    });
  });
});

describe('lead workflow, messages', () => {
  it('starts on the first events of an unknown lead and never starts a second workflow for it', async () => {
    const leadId = `lead-${randomUUID()}`;
    await withWorkers(env(), { catalog }, async ({ taskQueue }) => {
      const client = env().client;
      const visit = async () => pricingView({ id: leadId }, await env().currentTimeMs());
      const runs = [
        await sendLeadEvents(client, leadId, [await visit(), await visit()], { taskQueue }),
        await sendLeadEvents(client, leadId, [await visit()], { taskQueue }),
        await upsertLead(client, { id: leadId, firstName: 'Lou', title: 'CTO' }, { taskQueue }),
      ];
      expect(new Set(runs).size).toBe(1);
      const handle = client.workflow.getHandle(leadWorkflowId(leadId));
      const view = await eventually(async () => {
        const current = await leadState(handle);
        return current.counters.events === 3 ? current : undefined;
      });
      expect(view.scores.parts).toContainEqual({ rule: 'fit:title~cto', points: 20 });
      expect((await handle.describe()).runId).toBe(runs[0]);
      await handle.terminate('test over');
    });
  });

  it('rescores a running lead on a profile update that carries an email address and a phone number', async () => {
    const leadId = `lead-${randomUUID()}`;
    await withWorkers(env(), { catalog }, async ({ taskQueue }) => {
      const client = env().client;
      await upsertLead(client, { id: leadId, title: 'CTO' }, { taskQueue });
      const handle = client.workflow.getHandle(leadWorkflowId(leadId));
      await leadState(handle);
      // The workflow checks the update's email and phone formats itself, as it does every signal.
      await upsertLead(client, { id: leadId, email: 'lou@gmail.com', phone: '+49 30 1234567', title: 'CTO' }, { taskQueue });
      const view = await leadState(handle, (current) => current.scores.parts.some((part) => part.rule === 'fit:free_mail_domain'));
      expect(view.scores.parts).toContainEqual({ rule: 'fit:free_mail_domain', points: -10 });
      await handle.terminate('test over');
    });
  });

  it('answers enroll and exit updates with acceptance or a clear rejection', async () => {
    const lead = buyer();
    await withWorkers(env(), { catalog }, async ({ startLead }) => {
      const handle = await startLead({ lead });
      await leadState(handle);
      expect(await handle.executeUpdate(enrollUpdate, { args: [{ sequenceId: 'it-security' }] })).toEqual({ accepted: true });
      expect((await leadState(handle)).sequence).toMatchObject({ id: 'it-security', step: expect.any(String) });
      expect(await handle.executeUpdate(enrollUpdate, { args: [{ sequenceId: 'nope' }] })).toEqual({ accepted: false, reason: 'unknown sequence "nope"' });
      // A malformed request is refused by the validator, before it reaches the history.
      await expect(handle.executeUpdate(enrollUpdate, { args: [{ sequenceId: '' }] })).rejects.toMatchObject({ cause: expect.objectContaining({ message: expect.stringMatching(/sequenceId/) }) });
      expect(await handle.executeUpdate(exitUpdate, { args: [{ reason: 'moved to a partner' }] })).toEqual({ accepted: true });
      const view = await leadState(handle);
      expect(view.sequence).toBeUndefined();
      expect(view.history[view.history.length - 1]).toMatchObject({ id: 'it-security', reason: 'manual: moved to a partner' });
      expect(await handle.executeUpdate(exitUpdate, { args: [{ reason: 'again' }] })).toEqual({ accepted: false, reason: 'the lead is in no sequence' });
    });
  });
});

describe('lead workflow, SMS quiet hours without a known zone', () => {
  it('texts a New York number with no time zone only between 09:00 and 20:00 New York time', async () => {
    // As the API takes the lead in: where it is comes from its number, the number stays out.
    const lead: Lead = { id: `lead-${randomUUID()}`, phone: '+1 212 555 0147', firstName: 'Ada', source: 'channel-test', consent: { sms: true } };
    const place = placeOf(lead);
    expect(place).toEqual({ zones: ['America/New_York'], region: 'US-NY' });
    await withWorkers(env(), { catalog: channelCatalog }, async ({ startLead, recorder }) => {
      await startLead({ lead: { ...lead, ...place }, sequenceId: 'sms-drip' });
      await env().sleep(8 * DAY);
      const texts = recorder.touches.filter((touch) => touch.channel === 'sms');
      // Fewer than six: unanswered texts stretch the gaps (cooling).
      expect(texts.length).toBeGreaterThanOrEqual(4);
      const hours = texts.map((touch) => Number(new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: 'numeric', hourCycle: 'h23' }).format(touch.at)));
      // The model's window (09:00–20:00) inside the federal 08:00–21:00, in New York.
      for (const hour of hours) expect(hour >= 9 && hour < 20).toBe(true);
    });
  });
});
