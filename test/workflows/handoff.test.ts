import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Lead } from '../../core/model/lead';
import { acceptSignal, decideUpdate, eventSignal, reassignUpdate, rejectSignal, snoozeUpdate, taskQuery } from '../../workflows/contract';
import { anyHourCatalog, assignedTask, eventually, leadState, useTimeSkippingServer, withWorkers, type HarnessContext } from '../support/harness';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
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
      // The task is written after the rep is chosen, by the handoff's own worker.
      const opened = (await eventually(async () => recorder.handoffCalls.find((c) => c.name === 'openHandoffTask'))).args as { handoff: { reason: string; scores: { total: number } } };
      expect(recorder.handoffCalls.filter((c) => c.name === 'openHandoffTask')).toHaveLength(1);
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

  describe('desk actions', () => {
    /** A lead asking for a demo, its handoff assigned to rep-ana under a 1h SLA; `body` gets the handoff's handle. */
    const withHandoff = (body: (ctx: { handoff: WorkflowHandle; recorder: HarnessContext['recorder'] }) => Promise<void>) => {
      const subject = lead();
      return withWorkers(env(), { catalog }, async ({ startLead, recorder }) => {
        const handle = await startLead({ lead: subject, options: { handoff: { sla: '1h', maxEscalations: 2 } } });
        await handle.signal(eventSignal, await demoRequest(subject.id));
        const handoffId = `handoff-${subject.id}-1`;
        expect(await assignedTask(env().client, handoffId)).toMatchObject({ owner: 'rep-ana', escalations: 0 });
        await body({ handoff: env().client.workflow.getHandle(handoffId), recorder });
      });
    };
    const calls = (recorder: HarnessContext['recorder'], name: string) => recorder.handoffCalls.filter((c) => c.name === name).map((c) => c.args);
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (err: unknown) => (err instanceof WorkflowUpdateFailedError ? String((err.cause as Error | undefined)?.message) : `not refused: ${String(err)}`),
      );

    it('reassigns the open task to the rep named, with a fresh SLA and no escalation counted', async () => {
      await withHandoff(async ({ handoff, recorder }) => {
        await env().sleep(40 * MINUTE);
        const reassignedAt = await env().currentTimeMs();
        const task = await handoff.executeUpdate(reassignUpdate, { args: [{ to: 'rep-cy', by: 'mo' }] });
        expect(task).toMatchObject({ status: 'open', owner: 'rep-cy', escalations: 0 });
        expect(Date.parse(task.slaDueAt) - reassignedAt).toBeGreaterThanOrEqual(HOUR);
        expect(Date.parse(task.slaDueAt) - reassignedAt).toBeLessThan(HOUR + MINUTE);
        expect(calls(recorder, 'assignRep').at(-1)).toEqual({ exclude: ['rep-ana'], owner: 'rep-cy', round: 1, reassign: { to: 'rep-cy', by: 'mo' } });
        expect(calls(recorder, 'moveHandoffTask')).toEqual([{ handoffId: handoff.workflowId, owner: 'rep-cy', slaDueAt: Date.parse(task.slaDueAt), action: 'reassigned', by: 'mo' }]);
        expect(calls(recorder, 'notifyRep').at(-1)).toMatchObject({ owner: 'rep-cy', escalation: 0, round: 1, notifyManager: false });
        expect(calls(recorder, 'reassignHandoffTask')).toEqual([]);

        // Past the first owner's SLA, inside the new owner's: nothing breached.
        await env().sleep(40 * MINUTE);
        expect(await handoff.query(taskQuery)).toMatchObject({ owner: 'rep-cy', escalations: 0 });
        // Past the new owner's: an escalation, to a rep who had not had it, the manager told.
        await env().sleep(30 * MINUTE);
        expect(await handoff.query(taskQuery)).toMatchObject({ owner: 'rep-ben', escalations: 1 });
        expect(calls(recorder, 'notifyRep').at(-1)).toMatchObject({ owner: 'rep-ben', escalation: 1, round: 2, notifyManager: true });

        // A decision closes the task as before; a desk action after it is refused with who decided
        // while the workflow still runs, or by the server once it has ended (the task closed first,
        // in the same workflow task: the API answers that as the same 409, test/integration/deskActions).
        expect(await handoff.executeUpdate(decideUpdate, { args: [{ action: 'accept', by: 'rep-ben' }] })).toMatchObject({ status: 'accepted', owner: 'rep-ben' });
        const closedRefusal = (promise: Promise<unknown>) => promise.then(() => 'not refused', (err: unknown) => (err instanceof WorkflowNotFoundError ? 'the workflow has ended' : refusal(Promise.reject(err))));
        const afterDecision = ['the handoff is already accepted by rep-ben', 'the workflow has ended'];
        expect(afterDecision).toContain(await closedRefusal(handoff.executeUpdate(reassignUpdate, { args: [{ to: 'rep-ana' }] })));
        expect(afterDecision).toContain(await closedRefusal(handoff.executeUpdate(snoozeUpdate, { args: [{ until: new Date((await env().currentTimeMs()) + HOUR).toISOString() }] })));
        // The lead hears the outcome before the test ends (a workflow ended mid-activity would hold the server's clock).
        await handoff.result();
        await env().sleep(HOUR);
      });
    });

    it('reassigns by the rules when no rep is named, passing over the owner only', async () => {
      await withHandoff(async ({ handoff, recorder }) => {
        const task = await handoff.executeUpdate(reassignUpdate, { args: [{}] });
        expect(task).toMatchObject({ status: 'open', escalations: 0 });
        expect(task.owner).toBe('rep-cy');
        expect(calls(recorder, 'assignRep').at(-1)).toEqual({ exclude: ['rep-ana'], owner: 'rep-cy', round: 1, reassign: {} });
        expect(calls(recorder, 'notifyRep').at(-1)).toMatchObject({ owner: 'rep-cy', round: 1, notifyManager: false });
      });
    });

    it('refuses a rep who is not one, and the owner themselves, leaving the task as it was', async () => {
      await withHandoff(async ({ handoff }) => {
        const before = await handoff.query(taskQuery);
        expect(await refusal(handoff.executeUpdate(reassignUpdate, { args: [{ to: 'rep-zed' }] }))).toBe('to: there is no rep rep-zed');
        expect(await refusal(handoff.executeUpdate(reassignUpdate, { args: [{ to: 'rep-ana' }] }))).toBe('to: rep-ana has the task already');
        expect(await handoff.query(taskQuery)).toEqual(before);
        // Still waiting for a decision, under the SLA it had.
        await env().sleep(70 * MINUTE);
        expect(await handoff.query(taskQuery)).toMatchObject({ escalations: 1 });
      });
    });

    it('moves the due time to the owner’s promise, and breaches only after it', async () => {
      await withHandoff(async ({ handoff, recorder }) => {
        await env().sleep(10 * MINUTE);
        const until = new Date((await env().currentTimeMs()) + 3 * HOUR).toISOString();
        const task = await handoff.executeUpdate(snoozeUpdate, { args: [{ until, by: 'rep-ana' }] });
        expect(task).toMatchObject({ status: 'open', owner: 'rep-ana', escalations: 0, slaDueAt: until, snoozedUntil: until });
        expect(calls(recorder, 'moveHandoffTask')).toEqual([{ handoffId: handoff.workflowId, owner: 'rep-ana', slaDueAt: Date.parse(until), action: 'snoozed', by: 'rep-ana' }]);
        // Well past the hour the SLA gave, short of the promise.
        await env().sleep(3 * HOUR - 5 * MINUTE);
        expect(await handoff.query(taskQuery)).toMatchObject({ owner: 'rep-ana', escalations: 0, snoozedUntil: until });
        await env().sleep(10 * MINUTE);
        const breached = await handoff.query(taskQuery);
        expect(breached).toMatchObject({ owner: 'rep-cy', escalations: 1 });
        expect(breached.snoozedUntil).toBeUndefined();
      });
    });

    it('refuses a snooze into the past or more than 7 days ahead', async () => {
      await withHandoff(async ({ handoff, recorder }) => {
        const now = await env().currentTimeMs();
        const past = new Date(now - MINUTE).toISOString();
        const tooFar = new Date(now + 7 * DAY + HOUR).toISOString();
        expect(await refusal(handoff.executeUpdate(snoozeUpdate, { args: [{ until: past }] }))).toBe(`until ${past} is not in the future`);
        expect(await refusal(handoff.executeUpdate(snoozeUpdate, { args: [{ until: tooFar }] }))).toBe(`until ${tooFar} is more than 7 days ahead`);
        expect(await refusal(handoff.executeUpdate(snoozeUpdate, { args: [{ until: 'tomorrow' }] }))).toMatch(/until/);
        expect(calls(recorder, 'moveHandoffTask')).toEqual([]);
        expect((await handoff.query(taskQuery)).snoozedUntil).toBeUndefined();
      });
    });
  });
});
