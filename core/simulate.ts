// `nurture simulate`: runs the engine over a lead's timeline with no server, the same reducer the
// lead workflow runs, so a marketer's preview cannot disagree with production.
import { durationMs, iso } from './model/duration';
import { createLead, scoresOf, step, stepInPlace, type EngineOutput } from './engine';
import { wakeAtOf, type Catalog, type EngineInput } from './protocol';
import type { LeadEvent } from './model/events';
import type { Lead, LeadPlace } from './model/lead';
import type { Shadow } from './engine/run';
import type { LeadState } from './engine/state';

export interface SimulationOptions {
  catalog: Catalog;
  /** The lead, with where it is when that was inferred (channels/place). */
  lead: Lead & LeadPlace;
  events: LeadEvent[];
  /** When the lead is created (epoch ms). */
  start: number;
  /** How long to run after `start`, e.g. '90d'. */
  until: string;
  /** Enrol in this sequence instead of routing. */
  sequenceId?: string;
}

export interface SimulationResult {
  touches: { at: string; channel: string; template?: string; sequence: string; step: string; tier: string }[];
  stages: { at: string; from: string; to: string; reason: string }[];
  handoffs: { at: string; reason: string; scores: { fit: number; intent: number; total: number } }[];
  /** Every deferral and skip, so a preview shows why a touch did not go out when planned. */
  notes: { at: string; step: string; note: string }[];
  final: { scores: { fit: number; intent: number; total: number }; tier: string; stage: string; sequence?: string; holdout: boolean };
}

/** An input due at an instant; a function is resolved against the state at that instant (or skipped). */
interface TimedInput {
  at: number;
  input: EngineInput | ((state: LeadState) => EngineInput | undefined);
}

export interface TimelineStep {
  now: number;
  input: EngineInput;
  before: LeadState;
  output: EngineOutput;
}

export interface TimelineOptions {
  catalog: Catalog;
  lead: Lead & LeadPlace;
  start: number;
  /** Absolute end instant, inclusive. */
  end: number;
  inputs: TimedInput[];
  sequenceId?: string;
  /** Another catalog's differences to watch for (see Shadow), in a fold in place: a backtest's. */
  shadow?: Shadow;
}

/**
 * The engine's clock without a server: creates the lead at `start`, then feeds each input at its
 * instant and a wake at each wake-up, until `end`. What is due runs before what arrives at the same
 * instant, as in the lead workflow; inputs at the same instant keep their given order.
 */
export function runTimeline(options: TimelineOptions): { created: EngineOutput; steps: TimelineStep[]; state: LeadState } {
  const steps: TimelineStep[] = [];
  let created: EngineOutput | undefined;
  const state = foldTimeline(options, (output, taken) => {
    if (taken) steps.push({ ...taken, output });
    else created = output;
  });
  return { created: created!, steps, state };
}

/**
 * The same clock as runTimeline, each output visited as it comes (`taken` absent for the lead's
 * creation) and none kept; `inPlace` folds into one state throughout (the visitor must not keep
 * the states it sees, which change): the final state.
 */
export function foldTimeline(options: TimelineOptions, visit: (output: EngineOutput, taken?: Omit<TimelineStep, 'output'>) => void, inPlace = false): LeadState {
  const inputs = inOrder(options.inputs);
  const { catalog, shadow } = options;
  const created = createLead(options.lead, options.start, catalog, options.sequenceId, undefined, shadow);
  visit(created);
  let state = created.state;
  let wakeAt = wakeAtOf(created.commands);
  let clock = options.start;
  let next = 0;
  for (;;) {
    const inputAt = next < inputs.length ? Math.max(inputs[next]!.at, clock) : Infinity;
    const at = Math.min(inputAt, wakeAt ?? Infinity);
    if (at === Infinity || at > options.end) break;
    clock = at;
    let input: EngineInput | undefined;
    if (wakeAt !== undefined && wakeAt <= inputAt) input = { kind: 'wake' };
    else {
      const given = inputs[next++]!.input;
      input = typeof given === 'function' ? given(state) : given;
    }
    if (!input) continue;
    const output = inPlace ? stepInPlace(state, input, clock, catalog, shadow) : step(state, input, clock, catalog);
    visit(output, { now: clock, input, before: state });
    state = output.state;
    wakeAt = wakeAtOf(output.commands);
  }
  return state;
}

/** The inputs by instant, those at the same instant in their given order; as given when they already are (a lead's stored events are). */
function inOrder(inputs: TimedInput[]): TimedInput[] {
  if (inputs.every((item, i) => i === 0 || inputs[i - 1]!.at <= item.at)) return inputs;
  // Array sort is stable: inputs at the same instant keep their order.
  return [...inputs].sort((a, b) => a.at - b.at);
}

export function simulate(options: SimulationOptions): SimulationResult {
  const { catalog } = options;
  const end = options.start + durationMs(options.until);
  const result: SimulationResult = { touches: [], stages: [], handoffs: [], notes: [], final: undefined as never };
  const { created, steps, state } = runTimeline({
    catalog,
    lead: options.lead,
    start: options.start,
    end,
    sequenceId: options.sequenceId,
    inputs: options.events.map((event) => ({ at: Date.parse(event.occurredAt), input: { kind: 'event', event } })),
  });
  for (const output of [created, ...steps.map((s) => s.output)]) collect(output, result);

  const scores = scoresOf(state, end, catalog.model);
  result.final = {
    scores: { fit: scores.fit, intent: scores.intent, total: scores.total },
    tier: state.cadence.tier,
    stage: state.stage,
    ...(state.sequence ? { sequence: state.sequence.id } : {}),
    holdout: state.holdout,
  };
  return result;
}

function collect(output: EngineOutput, result: SimulationResult): void {
  for (const command of output.commands) {
    switch (command.type) {
      case 'send': {
        const { touch } = command;
        result.touches.push({
          at: iso(touch.at),
          channel: touch.channel,
          ...(touch.template ? { template: touch.template } : {}),
          sequence: touch.sequenceId,
          step: touch.stepId,
          tier: touch.why.tier,
        });
        break;
      }
      case 'changeStage':
        result.stages.push({ at: iso(command.at), from: command.from, to: command.to, reason: command.reason });
        break;
      case 'startHandoff': {
        const { scores } = command.handoff;
        result.handoffs.push({ at: iso(command.handoff.at), reason: command.handoff.reason, scores: { fit: scores.fit, intent: scores.intent, total: scores.total } });
        break;
      }
      case 'touchDeferred':
        result.notes.push({ at: iso(command.at), step: `${command.sequenceId}/${command.stepId}`, note: `deferred to ${iso(command.until)}: ${command.reasons.join(', ')}` });
        break;
      case 'touchSkipped':
        result.notes.push({ at: iso(command.at), step: `${command.sequenceId}/${command.stepId}`, note: `skipped: ${command.reason}` });
        break;
      case 'touchCanceled':
        result.notes.push({ at: iso(command.at), step: `${command.sequenceId}/${command.stepId}`, note: `canceled: ${command.reason}` });
        break;
    }
  }
}
