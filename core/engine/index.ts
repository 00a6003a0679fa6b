// The engine: a reducer `(state, inputs, now, catalog) → { state, commands, reply }`. Every decision
// of the nurture engine is made here, deterministically, from workflow time; the lead workflow and
// `nurture simulate` both only feed it inputs and carry out its commands. Each input is applied,
// then exit rules are checked, then qualification, then the sequence runs forward.
import type { LeadEvent } from '../model/events';
import { traitsOf, type Lead, type LeadArrival } from '../model/lead';
import { computeScores, scoreTotals, type Scores } from '../model/scoring';
import type { Model } from '../model/tuning';
import { LATEST_RULES, type Catalog, type Command, type EngineInput, type EngineRules, type LeadSnapshot, type Reply } from '../protocol';
import { closeFailedChannel, setConsent } from './consent';
import { recordEvent } from './intake';
import { applyCrmOutcome, closeHandoff, qualify, recontactIfDue } from './qualification';
import { Run, scoreInputs, type Shadow } from './run';
import { advance, checkExits, migrateToLatest, requestEnrolment, requestExit } from './sequencing';
import { initialState, type LeadState } from './state';

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
export function createLead(lead: Lead | LeadArrival, now: number, catalog: Catalog, sequenceId?: string, rules: EngineRules = LATEST_RULES, shadow?: Shadow): EngineOutput {
  const run = new Run(initialState(lead, now, catalog.model, rules), now, catalog, rules, false, shadow);
  run.enroll(sequenceId ?? run.route(), sequenceId ? 'enrolled on request' : 'routing');
  apply(run, { kind: 'wake' });
  return finish(run);
}

export function step(state: LeadState, input: EngineInput, now: number, catalog: Catalog, rules: EngineRules = LATEST_RULES): EngineOutput {
  return steps(state, [input], now, catalog, rules);
}

/**
 * Several inputs that arrived together, folded one after the other at the same instant: the same
 * result as calling step() for each, with one copy of the state instead of one per input.
 * The reply is the last one any input gave.
 */
export function steps(state: LeadState, inputs: EngineInput[], now: number, catalog: Catalog, rules: EngineRules = LATEST_RULES): EngineOutput {
  const run = new Run(state, now, catalog, rules);
  for (const input of inputs) apply(run, input);
  return finish(run);
}

/**
 * step(), changing `state` itself instead of a copy: the same output, one copy fewer per input, for
 * a caller that keeps no other reference to the state it passes (a backtest's own replay of a lead).
 */
export function stepInPlace(state: LeadState, input: EngineInput, now: number, catalog: Catalog, shadow?: Shadow): EngineOutput {
  const run = new Run(state, now, catalog, LATEST_RULES, true, shadow);
  apply(run, input);
  return finish(run);
}

/** The scores of a lead at `now`, with their breakdown. */
export function scoresOf(state: LeadState, now: number, model: Model): Scores {
  return computeScores(scoreInputs(state), now, model.scoring);
}

/** The total score alone, without the breakdown. */
export function totalScoreOf(state: LeadState, now: number, model: Model): number {
  return scoreTotals(scoreInputs(state), now, model.scoring).total;
}

/**
 * The lead's cell in the lead matrix at `now`: fit graded A to D and intent 1 to 4 against the MQL
 * bars (A/1 at one and a half times the bar or more, B/2 at the bar, C/3 at half of it, D/4 below),
 * so `A1` is a fitting lead acting now and `D4` neither.
 */
export function segmentOf(state: LeadState, now: number, model: Model): string {
  const { fit, intent } = scoreTotals(scoreInputs(state), now, model.scoring);
  const band = (score: number, bar: number) => (score >= 1.5 * bar ? 0 : score >= bar ? 1 : score >= bar / 2 ? 2 : 3);
  return `${'ABCD'[band(fit, model.qualification.mql.fit)]}${band(intent, model.qualification.mql.intent) + 1}`;
}

/** The lead as lists and funnels read it at `now`. */
export function snapshotOf(state: LeadState, now: number, model: Model): LeadSnapshot {
  return { stage: state.stage, tier: state.cadence.tier, totalScore: totalScoreOf(state, now, model), sequenceId: state.sequence?.id, holdout: state.holdout };
}

function apply(run: Run, input: EngineInput): void {
  let trigger: LeadEvent | undefined;
  switch (input.kind) {
    case 'event':
      if (!recordEvent(run, input.event)) return;
      trigger = input.event;
      break;
    case 'wake':
      if (run.rules.migrations) migrateToLatest(run);
      recontactIfDue(run);
      break;
    case 'profile':
      // Re-scoring follows from the new profile: fit is derived from it on every evaluation.
      run.state.profile = { ...run.state.profile, ...traitsOf(input.profile) };
      break;
    case 'consent':
      setConsent(run, input.channel, input.granted, input.source, input.at, true);
      break;
    case 'handoffOutcome':
      closeHandoff(run, input.handoffId, input.outcome, input.reasonCode);
      break;
    case 'sendFailed':
      closeFailedChannel(run, input.channel, input.reason);
      break;
    case 'enroll':
      run.reply = requestEnrolment(run, input.sequenceId);
      break;
    case 'exit':
      run.reply = requestExit(run, input.reason);
      break;
    case 'pause':
      run.state.paused = true;
      break;
    case 'resume':
      run.state.paused = false;
      break;
    case 'stage':
      run.changeStage(input.stage, input.reason);
      break;
    case 'crmOutcome':
      run.reply = applyCrmOutcome(run, input.outcome, input.reason);
      break;
  }
  checkExits(run);
  qualify(run, trigger);
  advance(run);
}

function finish(run: Run): EngineOutput {
  const wake = nextWake(run.state);
  if (wake !== undefined) run.commands.push({ type: 'wakeAt', at: Math.max(run.now, wake) });
  return { state: run.state, commands: run.commands, reply: run.reply };
}

/** When the lead next needs the engine: its current step's due time (unless paused or with sales), or its recontact date. */
function nextWake(state: LeadState): number | undefined {
  const candidates: number[] = [];
  if (state.sequence?.dueAt !== undefined && !state.paused && !state.handoffs.open) candidates.push(state.sequence.dueAt);
  if (state.recontactAt !== undefined) candidates.push(state.recontactAt);
  return candidates.length ? Math.min(...candidates) : undefined;
}
