// Shared helpers for the unit tests of the pure core: builders for leads and events, and a driver
// that runs a timeline through core/simulate.ts's own clock (runTimeline), keeping every step's
// input, state before and output.
import type { Catalog, Command, EngineInput, HandoffOutcome, Touch } from '../../core/protocol';
import type { EngineOutput } from '../../core/engine';
import { DAY_MS, HOUR_MS } from '../../core/model/duration';
import { leadEventSchema, type LeadEvent } from '../../core/model/events';
import { runTimeline } from '../../core/simulate';
import { leadSchema, type Lead } from '../../core/model/lead';
import type { RecycleReason } from '../../core/model/tuning';
import type { LeadState } from '../../core/engine/state';

export { DAY_MS, HOUR_MS };

/** Epoch ms of an ISO instant. */
export const at = (isoText: string): number => {
  const ms = Date.parse(isoText);
  if (!Number.isFinite(ms)) throw new Error(`bad instant ${isoText}`);
  return ms;
};
export const isoOf = (ms: number): string => new Date(ms).toISOString();

/** A validated lead (so tests only ever feed the engine what the schema accepts). */
export function makeLead(fields: Partial<Lead> & { id: string }): Lead {
  return leadSchema.parse({ email: `${fields.id}@example.com`, ...fields });
}

let eventCounter = 0;
/** A validated event of `type` at `when` (epoch ms); the id is unique unless given. */
export function makeEvent(type: LeadEvent['type'], when: number, properties: Record<string, unknown> = {}, eventId?: string, leadId = 'lead-1'): LeadEvent {
  eventCounter++;
  return leadEventSchema.parse({ eventId: eventId ?? `evt-${eventCounter}`, leadId, occurredAt: isoOf(when), type, properties });
}

export const pageView = (category: string, when: number, eventId?: string) =>
  makeEvent('page_view', when, { url: `https://example.com/${category}`, category }, eventId);
export const download = (kind: string, when: number, eventId?: string) => makeEvent('content_download', when, { assetId: `asset-${kind}`, kind }, eventId);

/** A pseudo-input resolved when it is processed: closes whatever handoff is open then. */
interface CloseOpenHandoff {
  kind: 'closeOpenHandoff';
  outcome: HandoffOutcome;
  reasonCode?: RecycleReason;
}

type DriverInput = EngineInput | CloseOpenHandoff;

export interface TimedInput {
  at: number;
  input: DriverInput;
}


export interface Trace {
  /** The engine's now for this reduction. */
  now: number;
  /** 'create' for createLead. */
  input: EngineInput | 'create';
  before?: LeadState;
  output: EngineOutput;
}

export interface DriveOptions {
  catalog: Catalog;
  lead: Lead;
  start: number;
  /** Absolute end instant (inclusive, like simulate's). */
  end: number;
  inputs?: TimedInput[];
  sequenceId?: string;
}

export interface DriveResult {
  traces: Trace[];
  state: LeadState;
}

/** Runs the reducer over a timeline with simulate()'s own clock, keeping a full trace. */
export function drive(options: DriveOptions): DriveResult {
  const { created, steps, state } = runTimeline({
    ...options,
    inputs: (options.inputs ?? []).map(({ at, input }) => ({ at, input: input.kind === 'closeOpenHandoff' ? closeOpenHandoff(input) : input })),
  });
  return { traces: [{ now: options.start, input: 'create', output: created }, ...steps], state };
}

function closeOpenHandoff(input: CloseOpenHandoff) {
  return (state: LeadState): EngineInput | undefined =>
    state.handoffs.open && { kind: 'handoffOutcome', handoffId: state.handoffs.open.id, outcome: input.outcome, ...(input.reasonCode ? { reasonCode: input.reasonCode } : {}) };
}

export const events = (...list: LeadEvent[]): TimedInput[] => list.map((event) => ({ at: Date.parse(event.occurredAt), input: { kind: 'event', event } }));

export type CommandOf<T extends Command['type']> = Extract<Command, { type: T }>;

export function commandsOf<T extends Command['type']>(traces: Trace[], type: T): CommandOf<T>[] {
  return traces.flatMap((trace) => trace.output.commands.filter((c): c is CommandOf<T> => c.type === type));
}

export function sendsOf(traces: Trace[]): Touch[] {
  return commandsOf(traces, 'send').map((c) => c.touch);
}
