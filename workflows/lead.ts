// The lead workflow: one long-lived run per lead, a thin durable shell around the engine. It waits
// for inputs or its next wake-up, folds them through core/engine, and carries out the commands
// through activities; it continues as new before its history grows long. No decision is made here.
import { WorkflowExecutionAlreadyStartedError, type ActivityOptions, type SearchAttributeUpdatePair } from '@temporalio/common';
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  patched,
  workflowInfo,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { DeliveryActivities, LeadActivities } from '../activities/types';
import { sendTaskQueue } from '../activities/types';
import { createLead, segmentOf, snapshotOf, step, totalScoreOf, type EngineOutput } from '../core/engine';
import type { LeadState } from '../core/engine/state';
import { CHANNELS, type Channel } from '../core/model/events';
import { traitsOf } from '../core/model/lead';
import { isDecision, wakeAtOf, type Catalog, type EngineInput, type EngineRules, type HandoffRequest, type Reply, type Touch } from '../core/protocol';
import {
  consentChangedSignal,
  enrollSchema,
  enrollUpdate,
  eventSignal,
  eventsSignal,
  exitSchema,
  exitUpdate,
  outcomeSchema,
  outcomeUpdate,
  handoffOutcomeSignal,
  handoffTaskQueue,
  pauseSignal,
  pauseUpdate,
  profileUpdatedSignal,
  resumeSignal,
  resumeUpdate,
  schemas,
  stateQuery,
  type LeadWorkflowInput,
} from './contract';
import { salesHandoffWorkflow } from './handoff';
import { changedSearchAttributes, leadSearchAttributes } from './searchAttributes';
import { leadView } from './view';
import { WakeTimer } from './wakeTimer';

const DEFAULT_MAX_HISTORY_EVENTS = 2_000;
/** Leave room for the signals that arrive while the last task of a run is in flight. */
const HISTORY_HEADROOM = 0.8;

/**
 * Loading the catalog and writing decisions are short, idempotent database calls: as local
 * activities they run inside the workflow task that asks for them, instead of costing a round trip
 * through the server and another workflow task each (bench/workflows).
 */
const store = proxyLocalActivities<LeadActivities>({
  startToCloseTimeout: '30s',
  localRetryThreshold: '10s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

/** Sends run on one task queue per channel, where each provider's rate limit is set. */
const deliveryProxies = (heartbeat: Partial<ActivityOptions>) =>
  Object.fromEntries(
    CHANNELS.map((channel) => [
      channel,
      proxyActivities<DeliveryActivities>({
        taskQueue: sendTaskQueue(channel),
        startToCloseTimeout: '1m',
        retry: { initialInterval: '5s', maximumInterval: '10m', backoffCoefficient: 2, maximumAttempts: 20 },
        ...heartbeat,
      }),
    ]),
  ) as Record<Channel, ActivityInterfaceFor<DeliveryActivities>>;
const deliveryByChannel = deliveryProxies({});
/**
 * Since send-heartbeat: a send that runs long heartbeats (activities/delivery.ts), so one on a worker
 * that died is retried once 10 s pass without a heartbeat instead of after its whole minute.
 */
const heartbeatingDeliveryByChannel = deliveryProxies({ heartbeatTimeout: '10s' });

interface InboxItem {
  input: EngineInput;
  /** Set for updates, which answer once their input has been folded in. */
  reply?: (reply: Reply) => void;
}

export async function leadWorkflow(input: LeadWorkflowInput): Promise<void> {
  await new Lead(input).run();
}

/** One run of a lead: its state, its inbox of inputs, and one method per message it takes. */
class Lead {
  private state?: LeadState;
  private catalog?: Catalog;
  private readonly inbox: InboxItem[];
  private wakeAt?: number;
  private readonly wakeTimer = new WakeTimer();
  /** The search attributes last written, to write only what changes. */
  private written?: SearchAttributeUpdatePair[];
  /** The engine's behaviour changes this run takes part in (workflows/patches.ts). */
  private rules: EngineRules = { consentFacts: false, smsZones: false, experiments: false, migrations: false, channelAndWaitVariants: false };
  private writesSegment = false;
  private sendsHeartbeat = false;
  private readonly maxHistory: number;

  constructor(private readonly input: LeadWorkflowInput) {
    const carried = input.carried?.state;
    // A run before traits carried the lead's profile as it was given; the engine reads its traits.
    this.state = carried && { ...carried, profile: traitsOf(carried.profile) };
    this.wakeAt = input.carried?.wakeAt;
    this.inbox = (input.carried?.inbox ?? []).map((carried) => ({ input: carried }));
    this.maxHistory = (input.options?.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS) * HISTORY_HEADROOM;
    // Handlers first, so that a signal delivered with the start is not missed.
    setHandler(eventSignal, (event) => this.accept('event', event, (valid) => ({ kind: 'event', event: valid })));
    setHandler(eventsSignal, (events) => this.acceptEvents(events));
    setHandler(profileUpdatedSignal, (profile) => this.accept('profileUpdated', profile, (valid) => ({ kind: 'profile', profile: traitsOf(valid) })));
    setHandler(consentChangedSignal, (change) => this.accept('consentChanged', change, (valid) => ({ kind: 'consent', ...valid })));
    setHandler(handoffOutcomeSignal, (outcome) => this.accept('handoffOutcome', outcome, (valid) => ({ kind: 'handoffOutcome', ...valid })));
    setHandler(pauseSignal, () => void this.inbox.push({ input: { kind: 'pause' } }));
    setHandler(resumeSignal, () => void this.inbox.push({ input: { kind: 'resume' } }));
    setHandler(pauseUpdate, () => this.request({ kind: 'pause' }));
    setHandler(resumeUpdate, () => this.request({ kind: 'resume' }));
    setHandler(enrollUpdate, ({ sequenceId }) => this.request({ kind: 'enroll', sequenceId }), { validator: (args) => void enrollSchema.parse(args) });
    setHandler(exitUpdate, ({ reason }) => this.request({ kind: 'exit', reason }), { validator: (args) => void exitSchema.parse(args) });
    setHandler(outcomeUpdate, (outcome) => this.request({ kind: 'crmOutcome', ...outcome }), { validator: (args) => void outcomeSchema.parse(args) });
    setHandler(stateQuery, () => this.view());
  }

  async run(): Promise<void> {
    // Since catalog-refresh, a wake-up first reloads the catalog if the worker runs a newer one, and the lead moves onto its sequence's new version as that version says.
    const refreshes = patched('catalog-refresh');
    this.rules = {
      consentFacts: patched('consent-facts'),
      smsZones: patched('sms-zones'),
      experiments: patched('experiments'),
      migrations: refreshes,
      channelAndWaitVariants: patched('channel-and-wait-variants'),
    };
    // Since lead-segment, the snapshot the lead's decisions are written with carries its segment.
    this.writesSegment = patched('lead-segment');
    this.sendsHeartbeat = patched('send-heartbeat');
    const catalog = (this.catalog = await this.loadCatalog());
    if (!this.state) {
      const created = createLead(this.input.lead, Date.now(), catalog, this.input.sequenceId, this.rules);
      this.state = created.state;
      this.wakeAt = await this.carryOut(created);
      this.publishSearchAttributes();
    }
    for (;;) {
      if (this.mustRenew()) await this.continueAsNewUnlessAnswering();
      else await this.nextInputOrWakeUp();
      await this.fold(this.takeInputs());
      this.publishSearchAttributes();
    }
  }

  // --- messages ---------------------------------------------------------------------------------

  /** A signal's payload, checked: a malformed one must not fail the lead's workflow, so it is logged and dropped. */
  private accept<K extends keyof typeof schemas>(name: K, payload: unknown, toInput: (valid: z.output<(typeof schemas)[K]>) => EngineInput): void {
    const parsed = schemas[name].safeParse(payload);
    if (!parsed.success) log.warn(`dropped malformed ${name} signal`, { issues: parsed.error.issues });
    else this.inbox.push({ input: toInput(parsed.data as z.output<(typeof schemas)[K]>) });
  }

  private acceptEvents(events: unknown): void {
    if (!Array.isArray(events)) return void log.warn('dropped an events signal that carries no list');
    for (const event of events) this.accept('event', event, (valid) => ({ kind: 'event', event: valid }));
  }

  /** An update: answered once its input has been folded in. */
  private request(input: EngineInput): Promise<Reply> {
    return new Promise((resolve) => void this.inbox.push({ input, reply: resolve }));
  }

  private view() {
    if (!this.state || !this.catalog) throw ApplicationFailure.nonRetryable('the lead is still starting');
    return leadView(this.state, this.catalog, this.wakeAt, Date.now());
  }

  // --- the loop ---------------------------------------------------------------------------------

  private mustRenew(): boolean {
    return workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= this.maxHistory;
  }

  private awaitingReply(): boolean {
    return this.inbox.some((item) => item.reply);
  }

  /** Continues as new once every handler is done, carrying the state and what is queued; an update waiting for its answer is folded in first. */
  private async continueAsNewUnlessAnswering(): Promise<void> {
    if (this.awaitingReply()) return;
    await condition(() => allHandlersFinished() || this.awaitingReply());
    if (this.awaitingReply()) return;
    const carried = { state: this.state!, inbox: this.inbox.map((item) => item.input), wakeAt: this.wakeAt };
    await continueAsNew<typeof leadWorkflow>({ lead: { id: this.state!.leadId }, options: this.input.options, carried });
  }

  private async nextInputOrWakeUp(): Promise<void> {
    const due = this.wakeAt !== undefined && this.wakeAt <= Date.now();
    this.wakeTimer.set(due ? undefined : this.wakeAt);
    if (!due) await condition(() => this.inbox.length > 0 || this.wakeTimer.fired);
  }

  /** What arrived, with the wake-up first when it is due: what is due runs before what arrived at the same instant, as in `nurture simulate`. */
  private takeInputs(): InboxItem[] {
    const inputs = this.inbox.splice(0);
    if (this.wakeAt !== undefined && Date.now() >= this.wakeAt) inputs.unshift({ input: { kind: 'wake' } });
    return inputs;
  }

  private async fold(inputs: InboxItem[]): Promise<void> {
    const now = Date.now();
    for (const item of inputs) {
      if (item.input.kind === 'wake' && this.rules.migrations) await this.refreshCatalog();
      const output = step(this.state!, item.input, now, this.catalog!, this.rules);
      this.state = output.state;
      this.wakeAt = await this.carryOut(output);
      item.reply?.(output.reply ?? { accepted: true });
    }
  }

  /** The catalog the worker runs now, when it is not the one this run loaded: a lead sees a new version at its next wake-up. */
  private async refreshCatalog(): Promise<void> {
    if ((await store.catalogVersion()) !== this.catalog!.version) this.catalog = await this.loadCatalog();
  }

  /** The worker's catalog, with the version of the sequence this lead runs. */
  private loadCatalog(): Promise<Catalog> {
    return store.loadCatalog({ versions: this.state?.sequence ? [this.state.sequence.version] : [] });
  }

  // --- commands ---------------------------------------------------------------------------------

  /** Carries out the engine's commands in order and returns the next wake-up. */
  private async carryOut(output: EngineOutput): Promise<number | undefined> {
    const decisions = output.commands.filter(isDecision);
    const current = output.state;
    if (decisions.length) {
      const { model } = this.catalog!;
      const snapshot = { ...snapshotOf(current, Date.now(), model), ...(this.writesSegment ? { segment: segmentOf(current, Date.now(), model) } : {}) };
      await store.recordDecisions({ leadId: current.leadId, decisions, snapshot });
    }
    for (const command of output.commands) {
      if (command.type === 'send') await this.deliver(command.touch, current);
      else if (command.type === 'startHandoff') await this.openHandoff(command.handoff);
    }
    return wakeAtOf(output.commands);
  }

  private async deliver(touch: Touch, current: LeadState): Promise<void> {
    try {
      const result = await (this.sendsHeartbeat ? heartbeatingDeliveryByChannel : deliveryByChannel)[touch.channel].deliverTouch({
        workflowId: workflowInfo().workflowId,
        touch,
        context: { lastDownload: current.recent.downloads.at(-1), lastPage: current.recent.pages.at(-1) },
      });
      // A permanent failure is news for the engine: it closes the channel with the reason.
      if (result.status === 'failed') this.inbox.push({ input: { kind: 'sendFailed', channel: touch.channel, reason: result.reason, detail: result.detail } });
    } catch (err) {
      // Out of retries, or refused for good (no such channel here): the lead lives on without it.
      log.error('touch not delivered', { idempotencyKey: touch.idempotencyKey, error: (err as Error).message });
    }
  }

  private async openHandoff(handoff: HandoffRequest): Promise<void> {
    try {
      // ABANDON: every continue-as-new closes this run, and the handoff must outlive it.
      await startChild(salesHandoffWorkflow, {
        workflowId: handoff.id,
        ...(patched('handoff-queue') ? { taskQueue: handoffTaskQueue(workflowInfo().taskQueue) } : {}),
        args: [handoff, this.input.options?.handoff ?? {}],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // Already started by an earlier attempt of this same command: nothing to do.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** Once per activation, after all of its inputs: only the attributes that changed. */
  private publishSearchAttributes(): void {
    const next = leadSearchAttributes(this.state!, totalScoreOf(this.state!, Date.now(), this.catalog!.model));
    const changed = changedSearchAttributes(this.written, next);
    if (changed.length) upsertSearchAttributes(changed);
    this.written = next;
  }
}
