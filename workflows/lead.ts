// The lead workflow: one long-lived run per lead, a thin durable shell around the engine. It waits
// for inputs or its next wake-up, folds them through core/engine, and carries out the commands
// through activities. No decision is made here.
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { DeliveryActivities, DeliveryResult, LeadActivities } from '../activities/types';
import { sendTaskQueue } from '../activities/types';
import { createLead, scoresOf, step, type EngineOutput } from '../core/engine';
import { type Catalog, type Command, type EngineInput, type Reply } from '../core/protocol';
import { iso } from '../core/model/duration';
import type { Channel, LeadEvent } from '../core/model/events';
import type { Lead } from '../core/model/lead';
import type { LeadState } from '../core/engine/state';
import {
  consentChangedSignal,
  enrollSchema,
  enrollUpdate,
  eventSignal,
  eventsSignal,
  exitSchema,
  exitUpdate,
  handoffOutcomeSignal,
  pauseSignal,
  profileUpdatedSignal,
  resumeSignal,
  schemas,
  stateQuery,
  type LeadView,
  type LeadWorkflowInput,
} from './contract';
import { salesHandoffWorkflow } from './handoff';
import { leadSearchAttributes, SCORE_STEP } from './searchAttributes';

const DEFAULT_MAX_HISTORY_EVENTS = 2_000;
/** Leave room for the signals that arrive while the last task of a run is in flight. */
const HISTORY_HEADROOM = 0.8;

const STORE_RETRY = { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 };
/** How runs recorded before LOCAL_STORE reach the store: one activity task per call. */
const remoteStore = proxyActivities<LeadActivities>({ startToCloseTimeout: '30s', retry: STORE_RETRY });
/**
 * Loading the catalog and writing decisions are short, idempotent database calls: as local
 * activities they run inside the workflow task that asks for them, instead of costing a round trip
 * through the server and another workflow task each (bench/workflows).
 */
const localStore = proxyLocalActivities<LeadActivities>({ startToCloseTimeout: '30s', localRetryThreshold: '10s', retry: STORE_RETRY });
const LOCAL_STORE = 'store-as-local-activities';
/**
 * Every command is a history event and a write on the server, so an activation issues as few as it
 * can: the search attributes once, after all of its inputs, rather than after each (a batch of
 * events wrote one per event), with the score in steps of SCORE_STEP rather than to the point; and
 * the wake-up timer only when the wake-up time moves, rather than cancelled and started again on
 * every input.
 */
const LEAN_ACTIVATIONS = 'lean-activations';

const deliveryByChannel = Object.fromEntries(
  (['email', 'sms', 'in_app', 'webhook'] as const).map((channel) => [
    channel,
    proxyActivities<DeliveryActivities>({
      taskQueue: sendTaskQueue(channel),
      startToCloseTimeout: '1m',
      retry: { initialInterval: '5s', maximumInterval: '10m', backoffCoefficient: 2, maximumAttempts: 20 },
    }),
  ]),
) as unknown as Record<Channel, DeliveryActivities>;

/** The timer that wakes the lead at `at`, kept across activations while the wake-up time stays. */
interface WakeTimer {
  at: number;
  fired: boolean;
  scope: CancellationScope;
}

interface InboxItem {
  input: EngineInput;
  /** Set for updates, which answer once their input has been folded in. */
  reply?: (reply: Reply) => void;
}

export async function leadWorkflow(input: LeadWorkflowInput): Promise<void> {
  const inbox: InboxItem[] = (input.carried?.inbox ?? []).map((carried) => ({ input: carried }));
  let state: LeadState | undefined = input.carried?.state;
  let catalog: Catalog | undefined;
  let wakeAt = input.carried?.wakeAt;
  /** The search attribute values last written, to write only changes. */
  let upserted: string | undefined;
  let wakeTimer: WakeTimer | undefined;
  const maxHistory = (input.options?.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS) * HISTORY_HEADROOM;

  // Handlers first, so that a signal delivered with the start is not missed.
  const accept = <T>(name: keyof typeof schemas, toInput: (payload: T) => EngineInput) => (payload: T) => {
    const parsed = schemas[name].safeParse(payload);
    // A malformed payload must not fail the lead's workflow: it is logged and dropped.
    if (!parsed.success) log.warn(`dropped malformed ${name} signal`, { issues: parsed.error.issues });
    else inbox.push({ input: toInput(parsed.data as T) });
  };
  const acceptEvent = accept<LeadEvent>('event', (event) => ({ kind: 'event', event }));
  setHandler(eventSignal, acceptEvent);
  setHandler(eventsSignal, (events) => {
    if (Array.isArray(events)) for (const event of events) acceptEvent(event);
    else log.warn('dropped an events signal that carries no list');
  });
  setHandler(profileUpdatedSignal, accept('profileUpdated', (profile) => ({ kind: 'profile', profile })));
  setHandler(consentChangedSignal, accept('consentChanged', (change) => ({ kind: 'consent', ...change })));
  setHandler(handoffOutcomeSignal, accept('handoffOutcome', (outcome) => ({ kind: 'handoffOutcome', ...outcome })));
  setHandler(pauseSignal, () => void inbox.push({ input: { kind: 'pause' } }));
  setHandler(resumeSignal, () => void inbox.push({ input: { kind: 'resume' } }));
  const request = (input: EngineInput) =>
    new Promise<Reply>((resolve) => {
      inbox.push({ input, reply: resolve });
    });
  setHandler(enrollUpdate, ({ sequenceId }) => request({ kind: 'enroll', sequenceId }), { validator: (args) => void enrollSchema.parse(args) });
  setHandler(exitUpdate, ({ reason }) => request({ kind: 'exit', reason }), { validator: (args) => void exitSchema.parse(args) });
  setHandler(stateQuery, () => {
    if (!state || !catalog) throw ApplicationFailure.nonRetryable('the lead is still starting');
    return viewOf(state, catalog, wakeAt);
  });

  const store = patched(LOCAL_STORE) ? localStore : remoteStore;
  const lean = patched(LEAN_ACTIVATIONS);
  catalog = await store.loadCatalog({ versions: state?.sequence ? [state.sequence.version] : [] });
  if (!state) {
    const created = createLead(input.lead, Date.now(), catalog, input.sequenceId);
    state = created.state;
    wakeAt = await carryOut(created);
    publishSearchAttributes(state);
  }

  const awaitingReply = () => inbox.some((item) => item.reply);
  for (;;) {
    const mustRenew = workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxHistory;
    if (mustRenew && !awaitingReply()) {
      // An update waits in the inbox for its answer; without one, what is queued is carried over.
      await condition(() => allHandlersFinished() || awaitingReply());
      if (!awaitingReply()) {
        const carried = { state, inbox: inbox.map((item) => item.input), wakeAt };
        await continueAsNew<typeof leadWorkflow>({ lead: { id: state.leadId }, options: input.options, carried });
      }
    }
    if (!mustRenew && lean) {
      const due = wakeAt !== undefined && wakeAt <= Date.now();
      keepWakeTimer(due ? undefined : wakeAt);
      if (!due) await condition(() => inbox.length > 0 || wakeTimer?.fired === true);
    } else if (!mustRenew) {
      const timeout = wakeAt === undefined ? undefined : Math.max(0, wakeAt - Date.now());
      if (timeout === undefined) await condition(() => inbox.length > 0);
      else await condition(() => inbox.length > 0, timeout);
    }

    const now = Date.now();
    const batch = inbox.splice(0);
    // What is due runs before what arrived at the same instant, as in `nurture simulate`.
    if (wakeAt !== undefined && now >= wakeAt) batch.unshift({ input: { kind: 'wake' } });
    for (const item of batch) {
      const output = step(state, item.input, now, catalog);
      state = output.state;
      wakeAt = await carryOut(output);
      item.reply?.(output.reply ?? { accepted: true });
    }
    publishSearchAttributes(state);
  }

  /** Carries out the engine's commands in order and returns the next wake-up. */
  async function carryOut(output: EngineOutput): Promise<number | undefined> {
    const { commands } = output;
    const decisions = commands.filter((c) => c.type !== 'send' && c.type !== 'startHandoff' && c.type !== 'wakeAt');
    const current = output.state;
    if (decisions.length) {
      await store.recordDecisions({
        leadId: current.leadId,
        decisions,
        snapshot: { stage: current.stage, tier: current.cadence.tier, totalScore: scoresOf(current, Date.now(), catalog!.model).total, sequenceId: current.sequence?.id, holdout: current.holdout },
      });
    }
    for (const command of commands) {
      if (command.type === 'send') await deliver(command.touch, current);
      else if (command.type === 'startHandoff') await openHandoff(command.handoff);
    }
    if (!lean) publishSearchAttributes(current);
    return commands.find((c): c is Extract<Command, { type: 'wakeAt' }> => c.type === 'wakeAt')?.at;
  }

  /** Starts a timer for `at` unless the running one is for `at` already, cancelling one for another time. */
  function keepWakeTimer(at: number | undefined): void {
    if (wakeTimer && wakeTimer.at === at && !wakeTimer.fired) return;
    wakeTimer?.scope.cancel();
    wakeTimer = undefined;
    if (at === undefined) return;
    const timer: WakeTimer = { at, fired: false, scope: new CancellationScope() };
    timer.scope.run(() => sleep(at - Date.now())).then(
      () => void (timer.fired = true),
      () => undefined, // cancelled: the wake-up moved
    );
    wakeTimer = timer;
  }

  function publishSearchAttributes(current: LeadState): void {
    const attributes = leadSearchAttributes(current, scoresOf(current, Date.now(), catalog!.model).total, lean ? SCORE_STEP : undefined);
    // Only on change: an upsert is a history event, and most inputs change none of them.
    const fingerprint = JSON.stringify(attributes.map((pair) => pair.value));
    if (fingerprint !== upserted) {
      upsertSearchAttributes(attributes);
      upserted = fingerprint;
    }
  }

  async function deliver(touch: Extract<Command, { type: 'send' }>['touch'], current: LeadState): Promise<void> {
    let result: DeliveryResult;
    try {
      result = await deliveryByChannel[touch.channel].deliverTouch({
        workflowId: workflowInfo().workflowId,
        touch,
        lead: { id: current.leadId, ...current.profile },
        context: { lastDownload: current.recent.downloads.at(-1), lastPage: current.recent.pages.at(-1) },
      });
    } catch (err) {
      // Out of retries, or refused for good (no such channel here): the lead lives on without it.
      log.error('touch not delivered', { idempotencyKey: touch.idempotencyKey, error: (err as Error).message });
      return;
    }
    // A permanent failure is news for the engine: it closes the channel with the reason.
    if (result.status === 'failed') inbox.push({ input: { kind: 'sendFailed', channel: touch.channel, reason: result.reason, detail: result.detail } });
  }

  async function openHandoff(handoff: Extract<Command, { type: 'startHandoff' }>['handoff']): Promise<void> {
    try {
      // ABANDON: every continue-as-new closes this run, and the handoff must outlive it.
      await startChild(salesHandoffWorkflow, {
        workflowId: handoff.id,
        args: [handoff, input.options?.handoff ?? {}],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // Already started by an earlier attempt of this same command: nothing to do.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
}

function viewOf(state: LeadState, catalog: Catalog, wakeAt: number | undefined): LeadView {
  const position = state.sequence;
  const definition = position ? catalog.versions[position.version] : undefined;
  return {
    leadId: state.leadId,
    stage: state.stage,
    scores: scoresOf(state, Date.now(), catalog.model),
    tier: state.cadence.tier,
    multiplier: state.cadence.multiplier,
    ...(position
      ? { sequence: { id: position.id, version: position.version, step: definition?.steps[position.stepIndex]?.id, stepIndex: position.stepIndex, enrolledAt: iso(position.enrolledAt) } }
      : {}),
    ...(wakeAt !== undefined && position ? { nextTouchAt: iso(wakeAt) } : {}),
    consent: state.consent,
    consentReasons: state.consentReasons,
    optedDown: state.optedDown,
    holdout: state.holdout,
    paused: state.paused,
    ...(state.handoffs.open ? { openHandoff: { id: state.handoffs.open.id, openedAt: iso(state.handoffs.open.openedAt) } } : {}),
    ...(state.recontactAt !== undefined ? { recontactAt: iso(state.recontactAt) } : {}),
    counters: state.counters,
    history: state.history.map((h) => ({ ...h, at: iso(h.at) })),
  };
}
