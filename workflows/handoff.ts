// The sales-handoff workflow: assigns a rep, writes the task with the lead's context, notifies, and
// waits for accept / reject / meeting booked under an SLA timer; on breach it reassigns and tells a
// manager, up to a limit, then returns the lead to nurture. The outcome goes back to the lead.
// Meanwhile a manager may reassign the task and its owner may snooze it (desk actions).
import { ActivityFailure, ApplicationFailure, condition, getExternalWorkflowHandle, patched, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { HandoffActivities } from '../activities/types';
import { iso, durationMs } from '../core/model/duration';
import type { HandoffOutcome, HandoffRequest } from '../core/protocol';
import type { RecycleReason } from '../core/model/tuning';
import {
  acceptSchema,
  acceptSignal,
  decideUpdate,
  decisionSchema,
  handoffOutcomeSignal,
  leadWorkflowId,
  meetingBookedSignal,
  reassignSchema,
  reassignUpdate,
  rejectSchema,
  rejectSignal,
  snoozeRefusal,
  snoozeSchema,
  snoozeUpdate,
  taskQuery,
  type HandoffOptions,
  type HandoffTaskView,
} from './contract';

const TASK_RETRY = { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 } as const;
const remoteTasks = proxyActivities<HandoffActivities>({ startToCloseTimeout: '30s', retry: TASK_RETRY });
/**
 * Since handoff-local-activities: the task's activities are short database calls and one alert, so
 * they run inside the workflow task that asks for them, as the lead's store does: the rep is
 * assigned, the task written and the alert sent in one workflow task, instead of a round trip
 * through the server and another workflow task each, which under load kept the rep waiting.
 */
const localTasks = proxyLocalActivities<HandoffActivities>({ startToCloseTimeout: '30s', localRetryThreshold: '10s', retry: TASK_RETRY });

/** A rep's answer: any outcome but the one the SLA gives. */
interface Decision {
  status: Exclude<HandoffOutcome, 'no_response'>;
  reasonCode?: RecycleReason;
  note?: string;
  by?: string;
}

/** A desk action waiting for the decide loop, which alone assigns and writes the task; its caller waits for it. */
interface DeskRequest {
  action: { kind: 'reassign'; to?: string; by?: string } | { kind: 'snooze'; until: number; by?: string };
  settled: boolean;
  failure?: ApplicationFailure;
}

export async function salesHandoffWorkflow(handoff: HandoffRequest, options: HandoffOptions = {}): Promise<HandoffTaskView> {
  const slaMs = durationMs(options.sla ?? '1h');
  const maxEscalations = options.maxEscalations ?? 2;
  let decision: Decision | undefined;
  let escalations = 0;
  let slaDueAt = Date.now() + slaMs;
  const owners: string[] = [];
  // Since desk-actions: the assignment rounds so far (a reassignment is one), the owner's promised
  // time, and the desk actions not yet done.
  let deskActions = false;
  let rounds = 0;
  let snoozedUntil: number | undefined;
  const desk: DeskRequest[] = [];

  // The first decision wins; later ones (a double click, a second rep) change nothing.
  const decide = (next: Decision) => {
    decision ??= next;
  };
  setHandler(acceptSignal, (payload) => {
    if (acceptSchema.safeParse(payload).success) decide({ status: 'accepted', by: payload?.by });
  });
  setHandler(meetingBookedSignal, (payload) => {
    if (acceptSchema.safeParse(payload).success) decide({ status: 'meeting_booked', by: payload?.by });
  });
  setHandler(rejectSignal, (payload) => {
    const parsed = rejectSchema.safeParse(payload);
    if (parsed.success) decide({ status: 'rejected', ...parsed.data });
  });
  const view = (): HandoffTaskView => ({
    id: handoff.id,
    leadId: handoff.leadId,
    status: decision?.status ?? (escalations > maxEscalations ? 'no_response' : 'open'),
    owner: owners[owners.length - 1],
    escalations: Math.min(escalations, maxEscalations),
    slaDueAt: iso(slaDueAt),
    ...(snoozedUntil === undefined ? {} : { snoozedUntil: iso(snoozedUntil) }),
    ...(decision?.reasonCode ? { reasonCode: decision.reasonCode } : {}),
    ...(decision?.note ? { note: decision.note } : {}),
  });
  setHandler(taskQuery, view);
  /** Who decided what, once the task is closed. */
  const closedFailure = (): ApplicationFailure | undefined => {
    const { status } = view();
    return status === 'open' ? undefined : ApplicationFailure.nonRetryable(`the handoff is already ${status}${decision?.by ? ` by ${decision.by}` : ''}`, 'AlreadyDecided');
  };
  const statusOf = { accept: 'accepted', 'meeting-booked': 'meeting_booked', reject: 'rejected' } as const;
  setHandler(
    decideUpdate,
    ({ action, ...rest }) => {
      decide({ status: statusOf[action], ...rest });
      return view();
    },
    {
      validator: (message) => {
        decisionSchema.parse(message);
        const closed = closedFailure();
        if (closed) throw closed;
      },
    },
  );

  // A desk action joins the queue the decide loop works through, and answers once it is done.
  const queueDeskAction = async (action: DeskRequest['action']): Promise<HandoffTaskView> => {
    const request: DeskRequest = { action, settled: false };
    desk.push(request);
    await condition(() => request.settled);
    if (request.failure) throw request.failure;
    return view();
  };
  const refuseDeskAction = () => {
    if (!deskActions) throw ApplicationFailure.nonRetryable('this handoff was opened by an older engine version: it takes accept, reject and meeting-booked only', 'NotSupported');
    const closed = closedFailure();
    if (closed) throw closed;
  };
  setHandler(reassignUpdate, ({ to, by }) => queueDeskAction({ kind: 'reassign', ...(to ? { to } : {}), ...(by ? { by } : {}) }), {
    validator: (message) => {
      reassignSchema.parse(message);
      refuseDeskAction();
      if (message.to !== undefined && message.to === view().owner) throw ApplicationFailure.nonRetryable(`to: ${message.to} has the task already`, 'SameOwner');
    },
  });
  setHandler(snoozeUpdate, ({ until, by }) => queueDeskAction({ kind: 'snooze', until: Date.parse(until), ...(by ? { by } : {}) }), {
    validator: (message) => {
      snoozeSchema.parse(message);
      refuseDeskAction();
      const refusal = snoozeRefusal(message.until, Date.now());
      if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'InvalidSnooze');
    },
  });

  // Since working-time-sla, the SLA counts the owner's working time from when they start.
  const workingTimeSla = patched('working-time-sla');
  // Since desk-actions, a manager may reassign the open task and its owner may snooze it; each
  // assignment round is numbered by the workflow, and a notice is keyed by its round.
  deskActions = patched('desk-actions');
  const tasks = patched('handoff-local-activities') ? localTasks : remoteTasks;
  const assign = async (reassign?: { to?: string; by?: string }) => {
    const assigned = await tasks.assignRep({
      handoffId: handoff.id,
      lead: handoff.profile,
      // A reassignment passes over the owner only: one who let the task wait before may take it now.
      exclude: reassign ? owners.slice(-1) : owners,
      ...(workingTimeSla ? { sla: options.sla ?? '1h' } : {}),
      ...(deskActions ? { round: rounds } : {}),
      ...(reassign ? { reassign } : {}),
    });
    if (deskActions) rounds++;
    if (assigned.owner) owners.push(assigned.owner);
    if (workingTimeSla && assigned.slaDueAt !== undefined) slaDueAt = assigned.slaDueAt;
    return assigned.owner;
  };
  const notify = (owner: string | undefined, notifyManager: boolean) =>
    tasks.notifyRep({ handoffId: handoff.id, leadId: handoff.leadId, owner, escalation: escalations, notifyManager, ...(deskActions ? { round: rounds - 1 } : {}) });
  const firstOwner = await assign();
  await tasks.openHandoffTask({ handoff, owner: firstOwner, slaDueAt });
  await notify(firstOwner, !firstOwner);

  /** Does a desk action: a new owner with a fresh SLA (no escalation), or the owner's own due time. */
  const act = async (request: DeskRequest) => {
    const { action } = request;
    try {
      if (action.kind === 'snooze') {
        slaDueAt = snoozedUntil = action.until;
        await tasks.moveHandoffTask({ handoffId: handoff.id, owner: owners.at(-1), slaDueAt, action: 'snoozed', ...(action.by ? { by: action.by } : {}) });
        return;
      }
      const dueBefore = slaDueAt;
      slaDueAt = Date.now() + slaMs;
      const owner = await assign({ ...(action.to ? { to: action.to } : {}), ...(action.by ? { by: action.by } : {}) }).catch((err: unknown) => {
        slaDueAt = dueBefore;
        throw err;
      });
      snoozedUntil = undefined;
      await tasks.moveHandoffTask({ handoffId: handoff.id, owner, slaDueAt, action: 'reassigned', ...(action.by ? { by: action.by } : {}) });
      await notify(owner, false);
    } catch (err) {
      // The rep named is unknown or inactive, or nobody else may take it: the caller hears why. A
      // remote activity's refusal comes wrapped in an ActivityFailure, a local activity's bare.
      const refusal = err instanceof ActivityFailure ? err.cause : err;
      if (!(refusal instanceof ApplicationFailure)) throw err;
      request.failure = ApplicationFailure.nonRetryable(refusal.message, refusal.type);
    } finally {
      request.settled = true;
    }
  };

  for (;;) {
    if (await condition(() => decision !== undefined || desk.length > 0, Math.max(0, slaDueAt - Date.now()))) {
      if (decision !== undefined) break;
      await act(desk.shift()!);
      continue;
    }
    escalations++;
    if (escalations > maxEscalations) break;
    slaDueAt = Date.now() + slaMs;
    snoozedUntil = undefined;
    const owner = await assign();
    await tasks.reassignHandoffTask({ handoffId: handoff.id, owner, escalations, slaDueAt });
    await notify(owner, true);
  }
  // Desk actions that came too late hear who closed the task.
  for (const request of desk.splice(0)) Object.assign(request, { settled: true, failure: closedFailure() });

  const outcome: HandoffOutcome = decision?.status ?? 'no_response';
  await tasks.closeHandoffTask({ handoffId: handoff.id, status: outcome, reasonCode: decision?.reasonCode, note: decision?.note, by: decision?.by });
  await getExternalWorkflowHandle(leadWorkflowId(handoff.leadId)).signal(handoffOutcomeSignal, {
    handoffId: handoff.id,
    outcome,
    ...(decision?.reasonCode ? { reasonCode: decision.reasonCode } : {}),
    ...(decision?.note ? { note: decision.note } : {}),
  });
  return view();
}
