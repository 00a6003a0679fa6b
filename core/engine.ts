// The engine: a reducer `(state, input, now, catalog) → { state, commands, reply }`. Every decision
// of the nurture engine is made here, deterministically, from workflow time; the lead workflow and
// `nurture simulate` both only feed it inputs and carry out its commands.
import { afterIntent, afterSilence, afterTouch, capUse, gapMs, nextSendSlot, recordSend, isCapped } from './cadence';
import { evaluate, type ConditionContext } from './conditions';
import { durationMs } from './duration';
import { eventKey, HIGH_INTENT_KEYS, isIntentSignal, type Channel, type ConsentChannel, type LeadEvent } from './events';
import { fingerprint } from './hash';
import type { Lead, ProfileUpdate } from './lead';
import { mergeCadence, type Model, type RecycleReason } from './model';
import { addIntent, computeScores, dampClick, scoreTotals, type Scores, type ScoreTotals } from './scoring';
import { isTouchStep, stepIndex, type SequenceDefinition, type Step, type TouchStep } from './sequence';
import { NURTURE_STAGES, type Stage } from './stages';
import { cloneState, eventTime, initialState, LIMITS, pushBounded, type LeadState } from './state';

/** Everything the engine reads besides the lead: the model and the sequences it may run. */
export interface Catalog {
  model: Model;
  /** Definitions by version (content hash). */
  versions: Record<string, SequenceDefinition>;
  /** The version new enrolments get, by sequence id. */
  latest: Record<string, string>;
  /** Sequence ids tried in order at enrolment: the first whose audience matches wins. */
  routing: string[];
  /** For a lead that matches no routing rule. */
  defaultSequence: string;
  /** The long-term pool: dormant, finished and recycled leads. */
  longTermSequence: string;
}

export const HANDOFF_OUTCOMES = ['accepted', 'rejected', 'meeting_booked', 'expired'] as const;
export type HandoffOutcome = (typeof HANDOFF_OUTCOMES)[number];
/** Permanent delivery failures: `invalid_phone` is a number no carrier takes, `rejected` a webhook receiver's 4xx. */
export const SEND_FAILURES = ['invalid_address', 'hard_bounce', 'suppressed', 'invalid_phone', 'rejected'] as const;
export type SendFailure = (typeof SEND_FAILURES)[number];

export type EngineInput =
  | { kind: 'event'; event: LeadEvent }
  | { kind: 'wake' }
  | { kind: 'profile'; profile: ProfileUpdate }
  | { kind: 'consent'; channel: ConsentChannel; granted: boolean; source: string }
  | { kind: 'handoffOutcome'; handoffId: string; outcome: HandoffOutcome; reasonCode?: RecycleReason; note?: string }
  | { kind: 'sendFailed'; channel: Channel; reason: SendFailure; detail?: string }
  | { kind: 'enroll'; sequenceId: string }
  | { kind: 'exit'; reason: string }
  | { kind: 'pause' }
  | { kind: 'resume' }
  /** A stage set from outside, e.g. the CRM marking an opportunity or a customer. */
  | { kind: 'stage'; stage: Stage; reason: string };

export interface Touch {
  /** Unique per touch: the ledger key that makes a send happen once. */
  idempotencyKey: string;
  leadId: string;
  channel: Channel;
  template?: string;
  offer?: string;
  webhook?: { target: string; event: string };
  sequenceId: string;
  sequenceVersion: string;
  stepId: string;
  touchNumber: number;
  at: number;
  /** Why it went out: the rule, the score parts, the tier and the caps consulted. */
  why: { rule: string; tier: string; multiplier: number; scores: Scores; caps: { cap: string; used: number; limit: number }[] };
}

export interface HandoffRequest {
  id: string;
  number: number;
  leadId: string;
  reason: string;
  at: number;
  scores: Scores;
  profile: Omit<Lead, 'id'>;
  recentPages: LeadState['recent']['pages'];
  downloads: LeadState['recent']['downloads'];
  path: LeadState['recent']['path'];
}

export type Command =
  | { type: 'send'; touch: Touch }
  | { type: 'startHandoff'; handoff: HandoffRequest }
  | { type: 'changeStage'; leadId: string; from: Stage; to: Stage; reason: string; at: number }
  | { type: 'enterSequence'; sequenceId: string; version: string; reason: string; at: number }
  | { type: 'exitSequence'; sequenceId: string; version: string; reason: string; at: number }
  | { type: 'touchDeferred'; sequenceId: string; stepId: string; channel: Channel; until: number; reasons: string[]; at: number }
  | { type: 'touchSkipped'; sequenceId: string; stepId: string; channel: Channel; reason: string; at: number }
  | { type: 'consentChanged'; channel: ConsentChannel; granted: boolean; reason: string; at: number }
  | { type: 'wakeAt'; at: number };

export type Reply = { accepted: true } | { accepted: false; reason: string };

export interface EngineOutput {
  state: LeadState;
  commands: Command[];
  /** The answer to an `enroll` or `exit` request. */
  reply?: Reply;
}

/**
 * A new lead: its initial state, enrolled in `sequenceId` or else by the routing rules, with its
 * first touch if one is due at once.
 */
export function createLead(lead: Lead, now: number, catalog: Catalog, sequenceId?: string): EngineOutput {
  const run = new Run(initialState(lead, now, catalog.model), now, catalog);
  run.enroll(sequenceId ?? run.route(), sequenceId ? 'enrolled on request' : 'routing');
  run.apply({ kind: 'wake' });
  return run.finish();
}

export function step(state: LeadState, input: EngineInput, now: number, catalog: Catalog): EngineOutput {
  return steps(state, [input], now, catalog);
}

/**
 * Several inputs that arrived together, folded one after the other at the same instant: the same
 * result as calling step() for each, with one copy of the state instead of one per input.
 * The reply is the last one any input gave.
 */
export function steps(state: LeadState, inputs: EngineInput[], now: number, catalog: Catalog): EngineOutput {
  const run = new Run(state, now, catalog);
  for (const input of inputs) run.apply(input);
  return run.finish();
}

/** The scores of a lead at `now`, with their breakdown. */
export function scoresOf(state: LeadState, now: number, model: Model): Scores {
  return computeScores(scoreInputs(state), now, model.scoring);
}

function scoreInputs(state: LeadState) {
  return { profile: state.profile, intent: state.intent, lastEngagedAt: lastEngagedAt(state) };
}

function lastEngagedAt(state: LeadState): number {
  return state.lastIntentAt ?? state.createdAt;
}

/** One reduction: a mutable working copy of the state and the commands it gathers. */
class Run {
  private readonly commands: Command[] = [];
  private reply?: Reply;
  private readonly model: Model;
  state: LeadState;

  constructor(
    state: LeadState,
    private readonly now: number,
    private readonly catalog: Catalog,
  ) {
    this.state = cloneState(state);
    this.model = catalog.model;
  }

  apply(input: EngineInput): void {
    switch (input.kind) {
      case 'event':
        if (!this.recordEvent(input.event)) return;
        break;
      case 'wake':
        this.wake();
        break;
      case 'profile':
        // Re-scoring follows from the new profile: fit is derived from it on every evaluation.
        this.state.profile = { ...this.state.profile, ...input.profile };
        break;
      case 'consent':
        this.setConsent(input.channel, input.granted, input.source);
        break;
      case 'handoffOutcome':
        this.closeHandoff(input.handoffId, input.outcome, input.reasonCode);
        break;
      case 'sendFailed':
        this.sendFailed(input.channel, input.reason);
        break;
      case 'enroll':
        this.reply = this.requestEnrolment(input.sequenceId);
        break;
      case 'exit':
        this.reply = this.state.sequence ? { accepted: true } : { accepted: false, reason: 'the lead is in no sequence' };
        this.exitSequence(`manual: ${input.reason}`);
        break;
      case 'pause':
        this.state.paused = true;
        break;
      case 'resume':
        this.state.paused = false;
        break;
      case 'stage':
        this.changeStage(input.stage, input.reason);
        break;
    }
    this.checkExits();
    this.qualify(input.kind === 'event' ? input.event : undefined);
    this.advance();
  }

  finish(): EngineOutput {
    const wake = this.nextWake();
    if (wake !== undefined) this.commands.push({ type: 'wakeAt', at: wake });
    return { state: this.state, commands: this.commands, reply: this.reply };
  }

  // --- events -------------------------------------------------------------------------------

  /** Folds an event into the aggregates, scores, consent and cadence; false for a duplicate. */
  private recordEvent(event: LeadEvent): boolean {
    const s = this.state;
    const id = fingerprint(event.eventId);
    if (s.recentEventIds.includes(id)) {
      s.counters.duplicates++;
      return false;
    }
    s.recentEventIds = pushBounded(s.recentEventIds, id, LIMITS.recentEventIds);
    s.counters.events++;
    const at = eventTime(event, this.now);
    const key = eventKey(event);
    const seen = s.aggregates[key];
    s.aggregates[key] = { count: (seen?.count ?? 0) + 1, lastAt: Math.max(seen?.lastAt ?? at, at) };
    s.recent.path = pushBounded(s.recent.path, { key, at }, LIMITS.path);
    if (event.type === 'page_view') {
      s.recent.pages = pushBounded(s.recent.pages, { url: event.properties.url, category: event.properties.category, at }, LIMITS.pages);
    } else if (event.type === 'content_download') {
      s.recent.downloads = pushBounded(s.recent.downloads, { assetId: event.properties.assetId, kind: event.properties.kind, at }, LIMITS.downloads);
    }

    let counts = true;
    if (event.type === 'email_click') {
      const damped = dampClick(s.clicks, at, s.lastEmailSentAt, this.model.scoring);
      s.clicks = damped.clicks;
      counts = damped.counts;
    }
    const points = this.model.scoring.intentWeights[key];
    if (counts && points) s.intent = addIntent(s.intent, key, points, at, this.model.scoring);

    switch (event.type) {
      case 'unsubscribe':
        if (event.properties.channel === 'all') {
          for (const channel of ['email', 'sms', 'in_app'] as const) this.setConsent(channel, false, 'unsubscribe');
          this.changeStage('unsubscribed', 'unsubscribed from all channels');
        } else {
          this.setConsent(event.properties.channel, false, 'unsubscribe');
        }
        break;
      case 'opt_down':
        s.optedDown = true;
        break;
      case 'email_bounce':
        if (event.properties.hard) this.setConsent('email', false, 'hard_bounce');
        break;
      case 'email_reply':
        this.exitSequence('goal: replied');
        break;
      case 'meeting_booked':
        if (NURTURE_STAGES.includes(s.stage)) this.changeStage('sql', 'meeting booked');
        this.exitSequence('goal: meeting booked');
        break;
    }
    if (counts && isIntentSignal(key)) this.onIntent(at);
    return true;
  }

  /** Intent re-accelerates: back to the active tier, the next touch pulled forward. */
  private onIntent(at: number): void {
    const s = this.state;
    s.lastIntentAt = Math.max(s.lastIntentAt ?? at, at);
    s.cadence = afterIntent(s.cadence);
    const position = s.sequence;
    if (!position) return;
    if (position.id === this.catalog.longTermSequence && !s.recontactAt) {
      // Interest is back: leave the long-term pool for the sequence this lead would get today.
      const next = this.route();
      if (next !== this.catalog.longTermSequence) {
        this.exitSequence('re-engaged');
        this.enroll(next, 're-engaged');
        return;
      }
    }
    // Only a signal after our last touch is new interest; the one that started the lead is not.
    if (s.cadence.lastTouchAt !== undefined && at <= s.cadence.lastTouchAt) return;
    const current = this.currentStep();
    const pullTo = this.now + durationMs(this.model.cadence.reengageWithin);
    if (current?.kind === 'wait' && position.dueAt !== undefined && position.dueAt > pullTo) position.dueAt = pullTo;
  }

  private wake(): void {
    const s = this.state;
    if (s.recontactAt !== undefined && this.now >= s.recontactAt) {
      s.recontactAt = undefined;
      if (!s.sequence && NURTURE_STAGES.includes(s.stage)) this.enroll(this.catalog.longTermSequence, 'recontact after recycling');
    }
  }

  // --- consent --------------------------------------------------------------------------------

  private setConsent(channel: ConsentChannel, granted: boolean, reason: string): void {
    const s = this.state;
    if (s.consent[channel] === granted) return;
    s.consent[channel] = granted;
    if (granted) delete s.consentReasons[channel];
    else s.consentReasons[channel] = reason;
    this.commands.push({ type: 'consentChanged', channel, granted, reason, at: this.now });
  }

  /** A permanent delivery failure closes the channel, with the reason the lead's state shows. */
  private sendFailed(channel: Channel, reason: SendFailure): void {
    if (channel === 'webhook') return;
    this.setConsent(channel, false, reason);
  }

  // --- stages and handoffs --------------------------------------------------------------------

  private changeStage(to: Stage, reason: string): void {
    const s = this.state;
    if (s.stage === to) return;
    this.commands.push({ type: 'changeStage', leadId: s.leadId, from: s.stage, to, reason, at: this.now });
    s.stage = to;
    s.stageChangedAt = this.now;
  }

  /** MQL by fit and total; a handoff on a demo request, or on score plus a recent high-intent action. */
  private qualify(trigger: LeadEvent | undefined): void {
    const s = this.state;
    const { mql, handoff } = this.model.qualification;
    const scores = this.totals();
    // A recycled lead rests until its recontact date: sales' decision is not undone by old points.
    const mayQualify = s.stage === 'lead' || (s.stage === 'recycled' && s.recontactAt === undefined);
    if (mayQualify && scores.fit >= mql.fit && scores.intent >= mql.intent && scores.total >= mql.total) {
      this.changeStage('mql', `fit ${scores.fit} ≥ ${mql.fit}, intent ${scores.intent} ≥ ${mql.intent} and total ${scores.total} ≥ ${mql.total}`);
    }
    if (s.handoffs.open || s.stage === 'disqualified') return;
    if (trigger?.type === 'demo_request' && (NURTURE_STAGES.includes(s.stage) || s.stage === 'unsubscribed')) {
      this.startHandoff('demo request');
      return;
    }
    if (!NURTURE_STAGES.includes(s.stage) || s.recontactAt !== undefined) return;
    const since = this.now - durationMs(handoff.recentWindow);
    const recentHighIntent = HIGH_INTENT_KEYS.find((key) => (s.aggregates[key]?.lastAt ?? -Infinity) >= since);
    if (scores.total >= handoff.total && recentHighIntent) {
      this.startHandoff(`total ${scores.total} ≥ ${handoff.total} and ${recentHighIntent} within ${handoff.recentWindow}`);
    }
  }

  private startHandoff(reason: string): void {
    const s = this.state;
    if (s.stage === 'lead' || s.stage === 'recycled') this.changeStage('mql', `handoff: ${reason}`);
    const number = s.handoffs.count + 1;
    const id = `handoff-${s.leadId}-${number}`;
    s.handoffs = { count: number, open: { id, openedAt: this.now } };
    s.recontactAt = undefined;
    this.commands.push({
      type: 'startHandoff',
      handoff: {
        id,
        number,
        leadId: s.leadId,
        reason,
        at: this.now,
        scores: this.scores(),
        profile: s.profile,
        recentPages: s.recent.pages,
        downloads: s.recent.downloads,
        path: s.recent.path,
      },
    });
  }

  private closeHandoff(handoffId: string, outcome: HandoffOutcome, reasonCode: RecycleReason | undefined): void {
    const s = this.state;
    if (s.handoffs.open?.id !== handoffId) return;
    s.handoffs.open = undefined;
    if (outcome === 'accepted' || outcome === 'meeting_booked') {
      this.changeStage('sql', outcome === 'accepted' ? 'handoff accepted by sales' : 'meeting booked by sales');
      this.exitSequence('handed off to sales');
      return;
    }
    const reason: RecycleReason = outcome === 'expired' ? 'no_response' : (reasonCode ?? 'other');
    if (reason === 'not_icp') {
      this.changeStage('disqualified', 'sales: not the ideal customer profile');
      this.exitSequence('disqualified');
      return;
    }
    this.changeStage('recycled', `sales: ${reason}`);
    this.exitSequence(`recycled: ${reason}`);
    s.recontactAt = this.now + durationMs(this.model.qualification.recontactAfter[reason]);
    this.wake();
  }

  // --- sequences ------------------------------------------------------------------------------

  /** The sequence a lead gets today: the first routed sequence whose audience matches. */
  route(): string {
    for (const id of this.catalog.routing) {
      const definition = this.latestDefinition(id);
      if (definition && evaluate(definition.audience, this.conditionContext())) return id;
    }
    return this.catalog.defaultSequence;
  }

  private requestEnrolment(sequenceId: string): Reply {
    const s = this.state;
    if (!this.catalog.latest[sequenceId]) return { accepted: false, reason: `unknown sequence ${JSON.stringify(sequenceId)}` };
    if (!NURTURE_STAGES.includes(s.stage)) return { accepted: false, reason: `the lead is ${s.stage}, not in nurture` };
    if (s.handoffs.open) return { accepted: false, reason: `sales handoff ${s.handoffs.open.id} is open` };
    this.exitSequence(`enrolled in ${sequenceId}`);
    s.recontactAt = undefined;
    this.enroll(sequenceId, 'enrolled on request');
    return { accepted: true };
  }

  /** Enrols at once, or, for a sequence that follows another, after the gap between sequences. */
  enroll(sequenceId: string, reason: string, chained = false): void {
    const version = this.catalog.latest[sequenceId];
    if (!version) return;
    const s = this.state;
    const dueAt = chained ? this.now + gapMs(durationMs(this.model.cadence.sequenceGap), s.cadence, s.optedDown, this.model.cadence) : undefined;
    s.sequence = { id: sequenceId, version, stepIndex: 0, enrolledAt: this.now, stepEnteredAt: this.now, ...(dueAt ? { dueAt } : {}) };
    this.commands.push({ type: 'enterSequence', sequenceId, version, reason, at: this.now });
  }

  private exitSequence(reason: string): void {
    const position = this.state.sequence;
    if (!position) return;
    this.state.sequence = undefined;
    this.state.history = pushBounded(this.state.history, { id: position.id, reason, at: this.now }, LIMITS.history);
    this.commands.push({ type: 'exitSequence', sequenceId: position.id, version: position.version, reason, at: this.now });
  }

  /** Goals and exit rules hold at once, not at the next step boundary. */
  private checkExits(): void {
    const s = this.state;
    if (!s.sequence) return;
    if (!NURTURE_STAGES.includes(s.stage)) {
      this.exitSequence(`stage ${s.stage}`);
      return;
    }
    const definition = this.definition();
    const context = this.conditionContext();
    const goal = definition?.exitWhen.findIndex((condition) => evaluate(condition, context)) ?? -1;
    if (goal >= 0) this.exitSequence(`goal: exitWhen[${goal}]`);
  }

  private definition(): SequenceDefinition | undefined {
    const position = this.state.sequence;
    if (!position) return undefined;
    const pinned = this.catalog.versions[position.version];
    if (pinned) return pinned;
    // The pinned version is gone: move to the latest at the same step, a step-boundary migration.
    const latest = this.latestDefinition(position.id);
    const index = latest ? stepIndex(latest, latest.steps[position.stepIndex]?.id ?? '') : -1;
    if (!latest || index < 0) return undefined;
    position.version = this.catalog.latest[position.id]!;
    position.stepIndex = index;
    return latest;
  }

  private latestDefinition(id: string): SequenceDefinition | undefined {
    const version = this.catalog.latest[id];
    return version ? this.catalog.versions[version] : undefined;
  }

  private currentStep(): Step | undefined {
    return this.definition()?.steps[this.state.sequence?.stepIndex ?? -1];
  }

  /** Runs the current sequence forward through every step that is due now. */
  private advance(): void {
    const s = this.state;
    s.cadence = afterSilence(s.cadence, lastEngagedAt(s), this.now, this.model.cadence);
    if (s.cadence.tier === 'dormant' && s.sequence && s.sequence.id !== this.catalog.longTermSequence) {
      this.exitSequence('dormant: moved to the long-term pool');
      this.enroll(this.catalog.longTermSequence, 'dormant', true);
    }
    // Bounded: a sequence is finite and every iteration moves forward or stops.
    for (let guard = 0; guard < 1000; guard++) {
      const position = s.sequence;
      if (!position || s.paused || s.handoffs.open) return;
      const definition = this.definition();
      if (!definition) {
        this.exitSequence('sequence version unavailable');
        return;
      }
      const current = definition.steps[position.stepIndex];
      if (!current) {
        this.completeSequence(definition);
        continue;
      }
      if (!this.runStep(current, definition)) return;
    }
  }

  /** Runs one step; true when the sequence moved on and the next step may run now too. */
  private runStep(current: Step, definition: SequenceDefinition): boolean {
    const position = this.state.sequence!;
    if (isTouchStep(current)) {
      if (position.dueAt !== undefined && this.now < position.dueAt) return false;
      return this.touch(current, definition);
    }
    switch (current.kind) {
      case 'wait':
        position.dueAt ??= position.stepEnteredAt + gapMs(durationMs(current.duration), this.state.cadence, this.state.optedDown, this.cadenceModel(definition));
        if (this.now < position.dueAt) return false;
        return this.goTo(position.stepIndex + 1);
      case 'waitFor': {
        if (evaluate(current.until, this.conditionContext())) return this.goTo(position.stepIndex + 1);
        position.dueAt = position.stepEnteredAt + durationMs(current.timeout);
        if (this.now < position.dueAt) return false;
        return this.goTo(current.onTimeout ? stepIndex(definition, current.onTimeout) : position.stepIndex + 1);
      }
      case 'branch': {
        const target = evaluate(current.if, this.conditionContext()) ? current.then : current.else;
        return this.goTo(target ? stepIndex(definition, target) : position.stepIndex + 1);
      }
      case 'handoff':
        if (!this.state.handoffs.open && this.state.stage !== 'disqualified') this.startHandoff(`sequence ${definition.id} step ${current.id}`);
        return this.goTo(position.stepIndex + 1);
      case 'exit':
        // Leaving early is finishing without the rest: the lead goes on to the long-term pool.
        this.exitSequence(`exit step ${current.id}: ${current.reason}`);
        if (definition.id !== this.catalog.longTermSequence) this.enroll(this.catalog.longTermSequence, `after ${definition.id}`, true);
        return false;
    }
  }

  private goTo(index: number): boolean {
    const position = this.state.sequence!;
    position.stepIndex = index;
    position.stepEnteredAt = this.now;
    position.dueAt = undefined;
    return true;
  }

  private completeSequence(definition: SequenceDefinition): void {
    this.exitSequence('completed');
    const next = definition.then ?? this.catalog.longTermSequence;
    // The long-term sequence loops on itself; a lead that finishes it starts it again.
    this.enroll(next, `after ${definition.id}`, true);
  }

  /** Sends, defers or skips a touch step. True when the sequence moves on. */
  private touch(current: TouchStep, definition: SequenceDefinition): boolean {
    const s = this.state;
    const position = s.sequence!;
    const channel = touchChannel(current);
    const skip = this.skipReason(channel);
    if (skip) {
      s.counters.skipped++;
      this.commands.push({ type: 'touchSkipped', sequenceId: definition.id, stepId: current.id, channel, reason: skip, at: this.now });
      return this.goTo(position.stepIndex + 1);
    }
    const cadence = this.cadenceModel(definition);
    const zone = s.profile.timezone ?? this.model.defaultTimezone;
    const slot = nextSendSlot(s.sends, channel, this.now, zone, s.optedDown, cadence);
    if (!slot) {
      s.counters.skipped++;
      this.commands.push({ type: 'touchSkipped', sequenceId: definition.id, stepId: current.id, channel, reason: 'no_send_slot', at: this.now });
      return this.goTo(position.stepIndex + 1);
    }
    if (slot.at > this.now) {
      s.counters.deferred++;
      position.dueAt = slot.at;
      this.commands.push({ type: 'touchDeferred', sequenceId: definition.id, stepId: current.id, channel, until: slot.at, reasons: slot.reasons, at: this.now });
      return false;
    }

    const touchNumber = s.counters.touches + 1;
    const touch: Touch = {
      idempotencyKey: `lead-${s.leadId}/${position.version}/${current.id}/${touchNumber}`,
      leadId: s.leadId,
      channel,
      ...('template' in current ? { template: current.template } : {}),
      ...(current.kind === 'offer' ? { offer: current.offer } : {}),
      ...(current.kind === 'webhook' ? { webhook: { target: current.target, event: current.event } } : {}),
      sequenceId: definition.id,
      sequenceVersion: position.version,
      stepId: current.id,
      touchNumber,
      at: this.now,
      why: {
        rule: `sequence ${definition.id} step ${current.id}`,
        tier: s.cadence.tier,
        multiplier: s.cadence.multiplier,
        scores: this.scores(),
        caps: capUse(s.sends, channel, this.now, s.optedDown, cadence),
      },
    };
    this.commands.push({ type: 'send', touch });
    s.counters.touches = touchNumber;
    s.sends = recordSend(s.sends, channel, this.now, cadence);
    if (channel === 'email') s.lastEmailSentAt = this.now;
    // Webhooks reach our systems, not the lead: they neither answer nor go unanswered.
    if (isCapped(channel)) s.cadence = afterTouch(s.cadence, s.lastIntentAt, this.now, cadence);
    return this.goTo(position.stepIndex + 1);
  }

  /** Why a touch on `channel` must not go out at all, if it must not. */
  private skipReason(channel: Channel): string | undefined {
    const s = this.state;
    if (s.holdout) return 'holdout';
    if (channel === 'webhook') return undefined;
    if (!s.consent[channel]) return `no_consent:${s.consentReasons[channel] ?? 'not_given'}`;
    if (channel === 'email' && !s.profile.email) return 'no_address:email';
    if (channel === 'sms' && !s.profile.phone) return 'no_address:phone';
    return undefined;
  }

  private cadenceModel(definition: SequenceDefinition): Model['cadence'] {
    return mergeCadence(this.model.cadence, definition.cadence);
  }

  // --- shared views ---------------------------------------------------------------------------

  private scoresCache?: { intent: LeadState['intent']; profile: LeadState['profile']; lastIntentAt?: number; totals: ScoreTotals; scores?: Scores };

  /** Totals at this run's now; recomputed only when what they derive from has changed. */
  private totals(): ScoreTotals {
    return this.cachedScores().totals;
  }

  /** Scores with their breakdown, for handoffs and the audit of a send. */
  private scores(): Scores {
    const cached = this.cachedScores();
    return (cached.scores ??= computeScores(scoreInputs(this.state), this.now, this.model.scoring));
  }

  private cachedScores(): NonNullable<Run['scoresCache']> {
    const s = this.state;
    const cached = this.scoresCache;
    if (cached && cached.intent === s.intent && cached.profile === s.profile && cached.lastIntentAt === s.lastIntentAt) return cached;
    this.scoresCache = { intent: s.intent, profile: s.profile, lastIntentAt: s.lastIntentAt, totals: scoreTotals(scoreInputs(s), this.now, this.model.scoring) };
    return this.scoresCache;
  }

  private conditionContext(): ConditionContext {
    const s = this.state;
    const { consent: _consent, attributes: _attributes, ...fields } = s.profile;
    return {
      now: this.now,
      aggregates: s.aggregates,
      scores: this.totals(),
      stage: s.stage,
      tier: s.cadence.tier,
      profile: fields,
      enrolledAt: s.sequence?.enrolledAt,
      stepEnteredAt: s.sequence?.stepEnteredAt,
    };
  }

  private nextWake(): number | undefined {
    const s = this.state;
    const candidates: number[] = [];
    if (s.sequence?.dueAt !== undefined && !s.paused && !s.handoffs.open) candidates.push(s.sequence.dueAt);
    if (s.recontactAt !== undefined) candidates.push(s.recontactAt);
    return candidates.length ? Math.max(this.now, Math.min(...candidates)) : undefined;
  }
}

export function touchChannel(step: TouchStep): Channel {
  switch (step.kind) {
    case 'email':
      return 'email';
    case 'sms':
      return 'sms';
    case 'inApp':
      return 'in_app';
    case 'webhook':
      return 'webhook';
    case 'offer':
      return step.channel === 'inApp' ? 'in_app' : 'email';
  }
}
