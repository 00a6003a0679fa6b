import { randomUUID } from 'node:crypto';
import type { Lead } from '../../core/model/lead';
import { acceptSignal, eventSignal, rejectSignal, taskQuery } from '../../workflows/contract';
import { anyHourCatalog, assignedTask, leadState, useTimeSkippingServer, withWorkers } from '../support/harness';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const env = useTimeSkippingServer();
const catalog = anyHourCatalog();

function lead(): Lead {
  return { id: `lead-${randomUUID()}`, email: 'dana@northwind.example', firstName: 'Dana', title: 'VP Operations', industry: 'software', companySize: 300, country: 'DE' };
}

async function demoRequest(leadId: string) {
  return { eventId: randomUUID(), leadId, type: 'demo_request' as const, occurredAt: new Date(await env().currentTimeMs()).toISOString(), properties: {} };
}

describe('sales handoff', () => {
  it('starts exactly one handoff for a demo request, however often it is requested', async () => {
    const subject = lead();
    await withWorkers(env(), { catalog }, async ({ startLead, recorder }) => {
      const handle = await startLead({ lead: subject });
      await handle.signal(eventSignal, await demoRequest(subject.id));
      await handle.signal(eventSignal, await demoRequest(subject.id));
      const view = await leadState(handle, (current) => current.counters.events === 2);
      expect(view.openHandoff?.id).toBe(`handoff-${subject.id}-1`);
      const task = await assignedTask(env().client, `handoff-${subject.id}-1`);
      expect(task).toMatchObject({ status: 'open', leadId: subject.id, owner: 'rep-ana', escalations: 0 });
      expect(recorder.handoffCalls.filter((c) => c.name === 'openHandoffTask')).toHaveLength(1);
      const opened = recorder.handoffCalls.find((c) => c.name === 'openHandoffTask')!.args as { handoff: { reason: string; scores: { total: number } } };
      expect(opened.handoff.reason).toBe('demo request');
      // Nurture pauses while sales has the lead.
      const sent = recorder.touches.length;
      await env().sleep(30 * 60 * 1000);
      await env().client.workflow.getHandle(`handoff-${subject.id}-1`).signal(acceptSignal, { by: 'rep-ana' });
      await env().sleep(HOUR);
      const accepted = await leadState(handle, (current) => current.openHandoff === undefined);
      expect(accepted.stage).toBe('sql');
      expect(accepted.openHandoff).toBeUndefined();
      expect(accepted.sequence).toBeUndefined();
      expect(recorder.touches).toHaveLength(sent);
    });
  });

  it('recycles a rejected lead and contacts it again only after the reason’s delay', async () => {
    const subject = lead();
    await withWorkers(env(), { catalog }, async ({ startLead, recorder }) => {
      const handle = await startLead({ lead: subject });
      await handle.signal(eventSignal, await demoRequest(subject.id));
      await assignedTask(env().client, `handoff-${subject.id}-1`);
      const rejectedAt = await env().currentTimeMs();
      await env().client.workflow.getHandle(`handoff-${subject.id}-1`).signal(rejectSignal, { reasonCode: 'bad_timing' });
      await env().sleep(HOUR);
      const recycled = await leadState(handle, (current) => current.openHandoff === undefined);
      expect(recycled.stage).toBe('recycled');
      expect(Date.parse(recycled.recontactAt!) - rejectedAt).toBeGreaterThanOrEqual(60 * DAY - HOUR);
      const sentAtRejection = recorder.touches.length;
      await env().sleep(59 * DAY);
      expect(recorder.touches).toHaveLength(sentAtRejection);
      await env().sleep(2 * DAY);
      const recontacted = recorder.touches.slice(sentAtRejection);
      expect(recontacted[0]).toMatchObject({ sequenceId: 'long-term-nurture' });
      expect(recontacted[0]!.at - rejectedAt).toBeGreaterThanOrEqual(60 * DAY);
    });
  });

  it('escalates on SLA breach to another rep and a manager, then returns the lead to nurture', async () => {
    const subject = lead();
    await withWorkers(env(), { catalog }, async ({ startLead, recorder }) => {
      const handle = await startLead({ lead: subject, options: { handoff: { sla: '1h', maxEscalations: 2 } } });
      await handle.signal(eventSignal, await demoRequest(subject.id));
      await assignedTask(env().client, `handoff-${subject.id}-1`);
      await env().sleep(90 * 60 * 1000);
      const task = await env().client.workflow.getHandle(`handoff-${subject.id}-1`).query(taskQuery);
      expect(task.escalations).toBe(1);
      expect(task.owner).not.toBe('rep-ana');
      expect(recorder.handoffCalls).toContainEqual({ name: 'notifyRep', args: expect.objectContaining({ escalation: 1, notifyManager: true }) });
      await env().sleep(3 * HOUR);
      const closed = recorder.handoffCalls.find((c) => c.name === 'closeHandoffTask');
      expect(closed?.args).toMatchObject({ status: 'no_response' });
      const view = await leadState(handle, (current) => current.openHandoff === undefined);
      expect(view.stage).toBe('recycled');
    });
  });
});
