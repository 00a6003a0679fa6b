// The sales-handoff workflow: assigns a rep, writes the task with the lead's context, notifies, and
// waits for accept / reject / meeting booked under an SLA timer; on breach it reassigns and tells a
// manager, up to a limit, then returns the lead to nurture. The outcome goes back to the lead.
import { ApplicationFailure, condition, getExternalWorkflowHandle, patched, proxyActivities, setHandler } from '@temporalio/workflow';
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
  rejectSchema,
  rejectSignal,
  taskQuery,
  type HandoffOptions,
  type HandoffTaskView,
} from './contract';

const tasks = proxyActivities<HandoffActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

/** A rep's answer: any outcome but the one the SLA gives. */
interface Decision {
  status: Exclude<HandoffOutcome, 'no_response'>;
  reasonCode?: RecycleReason;
  note?: string;
  by?: string;
}

export async function salesHandoffWorkflow(handoff: HandoffRequest, options: HandoffOptions = {}): Promise<HandoffTaskView> {
  const slaMs = durationMs(options.sla ?? '1h');
  const maxEscalations = options.maxEscalations ?? 2;
  let decision: Decision | undefined;
  let escalations = 0;
  let slaDueAt = Date.now() + slaMs;
  const owners: string[] = [];

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
    ...(decision?.reasonCode ? { reasonCode: decision.reasonCode } : {}),
    ...(decision?.note ? { note: decision.note } : {}),
  });
  setHandler(taskQuery, view);
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
        const { status } = view();
        if (status !== 'open') throw ApplicationFailure.nonRetryable(`the handoff is already ${status}${decision?.by ? ` by ${decision.by}` : ''}`, 'AlreadyDecided');
      },
    },
  );

  // Since working-time-sla, the SLA counts the owner's working time from when they start.
  const workingTimeSla = patched('working-time-sla');
  const assign = async () => {
    const assigned = await tasks.assignRep({ handoffId: handoff.id, lead: handoff.profile, exclude: owners, ...(workingTimeSla ? { sla: options.sla ?? '1h' } : {}) });
    if (assigned.owner) owners.push(assigned.owner);
    if (workingTimeSla && assigned.slaDueAt !== undefined) slaDueAt = assigned.slaDueAt;
    return assigned.owner;
  };
  const firstOwner = await assign();
  await tasks.openHandoffTask({ handoff, owner: firstOwner, slaDueAt });
  await tasks.notifyRep({ handoffId: handoff.id, leadId: handoff.leadId, owner: firstOwner, escalation: 0, notifyManager: !firstOwner });

  while (!(await condition(() => decision !== undefined, Math.max(0, slaDueAt - Date.now())))) {
    escalations++;
    if (escalations > maxEscalations) break;
    slaDueAt = Date.now() + slaMs;
    const owner = await assign();
    await tasks.reassignHandoffTask({ handoffId: handoff.id, owner, escalations, slaDueAt });
    await tasks.notifyRep({ handoffId: handoff.id, leadId: handoff.leadId, owner, escalation: escalations, notifyManager: true });
  }

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
