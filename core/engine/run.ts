// One reduction: a mutable working copy of the lead's state at one instant, the commands it gathers,
// and what every concern of the engine shares: the views it reads (scores, the condition context, the
// current sequence step) and the moves it makes (a stage change, entering or leaving a sequence).
import { gapMs } from '../model/cadence';
import { evaluate, type ConditionContext } from '../model/conditions';
import { durationMs } from '../model/duration';
import { computeScores, scoreTotals, type ScoreInputs, type Scores, type ScoreTotals } from '../model/scoring';
import { stepIndex, type SequenceDefinition, type Step } from '../model/sequence';
import type { Stage } from '../model/stages';
import type { Model } from '../model/tuning';
import type { Catalog, Command, EngineRules, Reply } from '../protocol';
import { cloneState, LIMITS, pushBounded, type LeadState } from './state';

/** Silence is measured from the last intent signal, or from the lead's creation when there was none. */
export function lastEngagedAt(state: LeadState): number {
  return state.lastIntentAt ?? state.createdAt;
}

export function scoreInputs(state: LeadState): ScoreInputs {
  return { profile: state.profile, intent: state.intent, lastEngagedAt: lastEngagedAt(state) };
}

interface ScoreCache {
  intent: LeadState['intent'];
  profile: LeadState['profile'];
  lastIntentAt?: number;
  totals: ScoreTotals;
  scores?: Scores;
}

/**
 * What another catalog differs in, for a backtest that replays a lead once for two catalogs: its
 * qualification bars, decided by beside the run's own, and the sequences whose steps it changes.
 * `diverged` is set at the first decision the two sets of bars take differently or the first
 * enrolment in a changed sequence: from there on the runs may part, and the lead is replayed again
 * under the other catalog.
 */
export interface Shadow {
  qualification: Model['qualification'];
  changedSequences: ReadonlySet<string>;
  diverged: boolean;
}

export class Run {
  readonly commands: Command[] = [];
  /** The answer to an `enroll` or `exit` request. */
  reply?: Reply;
  readonly model: Model;
  readonly state: LeadState;
  private scoreCache?: ScoreCache;

  /** `inPlace`: fold into `state` itself, for a caller that keeps no other reference to it. */
  constructor(
    state: LeadState,
    readonly now: number,
    readonly catalog: Catalog,
    readonly rules: EngineRules,
    inPlace = false,
    readonly shadow?: Shadow,
  ) {
    this.state = inPlace ? state : cloneState(state);
    this.model = catalog.model;
  }

  // --- views ----------------------------------------------------------------------------------

  /** Totals at this run's now; recomputed only when what they derive from has changed. */
  totals(): ScoreTotals {
    return this.cachedScores().totals;
  }

  /** Scores with their breakdown, for handoffs and the audit of a send. */
  scores(): Scores {
    const cached = this.cachedScores();
    return (cached.scores ??= computeScores(scoreInputs(this.state), this.now, this.model.scoring, cached.totals));
  }

  conditionContext(): ConditionContext {
    const s = this.state;
    return {
      now: this.now,
      aggregates: s.aggregates,
      scores: this.totals(),
      stage: s.stage,
      tier: s.cadence.tier,
      profile: s.profile,
      enrolledAt: s.sequence?.enrolledAt,
      stepEnteredAt: s.sequence?.stepEnteredAt,
    };
  }

  /** The definition the lead runs; a pinned version that is gone moves it to the latest at the same step. */
  definition(): SequenceDefinition | undefined {
    const position = this.state.sequence;
    if (!position) return undefined;
    const pinned = this.catalog.versions[position.version];
    if (pinned) return pinned;
    const latest = this.latestDefinition(position.id);
    const index = latest ? stepIndex(latest, latest.steps[position.stepIndex]?.id ?? '') : -1;
    if (!latest || index < 0) return undefined;
    position.version = this.catalog.latest[position.id]!;
    position.stepIndex = index;
    return latest;
  }

  latestDefinition(id: string): SequenceDefinition | undefined {
    const version = this.catalog.latest[id];
    return version ? this.catalog.versions[version] : undefined;
  }

  currentStep(): Step | undefined {
    return this.definition()?.steps[this.state.sequence?.stepIndex ?? -1];
  }

  /** The sequence a lead gets today: the first routed sequence whose audience matches. */
  route(): string {
    for (const id of this.catalog.routing) {
      const definition = this.latestDefinition(id);
      if (definition && evaluate(definition.audience, this.conditionContext())) return id;
    }
    return this.catalog.defaultSequence;
  }

  // --- moves ----------------------------------------------------------------------------------

  changeStage(to: Stage, reason: string): void {
    const s = this.state;
    if (s.stage === to) return;
    this.commands.push({ type: 'changeStage', leadId: s.leadId, from: s.stage, to, reason, at: this.now });
    s.stage = to;
    s.stageChangedAt = this.now;
  }

  /** Enrols at once, or, for a sequence that follows another, after the gap between sequences. */
  enroll(sequenceId: string, reason: string, chained = false): void {
    if (this.shadow?.changedSequences.has(sequenceId)) this.shadow.diverged = true;
    const version = this.catalog.latest[sequenceId];
    if (!version) return;
    const s = this.state;
    const dueAt = chained ? this.now + gapMs(durationMs(this.model.cadence.sequenceGap), s.cadence, s.optedDown, this.model.cadence) : undefined;
    // dueAt always there, if undefined: one shape for every position (see initialState).
    s.sequence = { id: sequenceId, version, stepIndex: 0, enrolledAt: this.now, stepEnteredAt: this.now, dueAt };
    this.commands.push({ type: 'enterSequence', sequenceId, version, reason, at: this.now });
  }

  /** Moves the sequence to step `index`, entered now; true, for chaining. */
  goToStep(index: number): true {
    const position = this.state.sequence!;
    position.stepIndex = index;
    position.stepEnteredAt = this.now;
    position.dueAt = undefined;
    return true;
  }

  exitSequence(reason: string): void {
    const position = this.state.sequence;
    if (!position) return;
    this.state.sequence = undefined;
    this.state.history = pushBounded(this.state.history, { id: position.id, reason, at: this.now }, LIMITS.history);
    this.commands.push({ type: 'exitSequence', sequenceId: position.id, version: position.version, reason, at: this.now });
  }

  private cachedScores(): ScoreCache {
    const s = this.state;
    const cached = this.scoreCache;
    if (cached && cached.intent === s.intent && cached.profile === s.profile && cached.lastIntentAt === s.lastIntentAt) return cached;
    this.scoreCache = { intent: s.intent, profile: s.profile, lastIntentAt: s.lastIntentAt, totals: scoreTotals(scoreInputs(s), this.now, this.model.scoring) };
    return this.scoreCache;
  }
}
