// `nurture simulate`: runs the engine over a lead's timeline with no server, the same reducer the
// lead workflow runs, so a marketer's preview cannot disagree with production.
import { durationMs, iso } from './duration';
import { createLead, scoresOf, step, type Catalog, type Command, type EngineOutput } from './engine';
import type { LeadEvent } from './events';
import type { Lead } from './lead';
import type { LeadState } from './state';

export interface SimulationOptions {
  catalog: Catalog;
  lead: Lead;
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

export function simulate(options: SimulationOptions): SimulationResult {
  const { catalog } = options;
  const end = options.start + durationMs(options.until);
  // Stable by time: events that happened at the same instant keep their file order.
  const events = options.events
    .map((event, order) => ({ event, at: Date.parse(event.occurredAt), order }))
    .sort((a, b) => a.at - b.at || a.order - b.order);
  const result: SimulationResult = { touches: [], stages: [], handoffs: [], notes: [], final: undefined as never };

  let output = createLead(options.lead, options.start, catalog, options.sequenceId);
  let state = collect(output, result);
  let wakeAt = nextWake(output);
  let clock = options.start;
  let next = 0;
  for (;;) {
    const eventAt = next < events.length ? Math.max(events[next]!.at, clock) : Infinity;
    const at = Math.min(eventAt, wakeAt ?? Infinity);
    if (at === Infinity || at > end) break;
    clock = at;
    // What is due runs before what arrives at the same instant.
    output = wakeAt !== undefined && wakeAt <= eventAt ? step(state, { kind: 'wake' }, clock, catalog) : step(state, { kind: 'event', event: events[next++]!.event }, clock, catalog);
    state = collect(output, result);
    wakeAt = nextWake(output);
  }

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

function nextWake(output: EngineOutput): number | undefined {
  return output.commands.find((c): c is Extract<Command, { type: 'wakeAt' }> => c.type === 'wakeAt')?.at;
}

function collect(output: EngineOutput, result: SimulationResult): LeadState {
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
    }
  }
  return output.state;
}
