// `nurture backtest`: real past leads run again through the engine under the live catalog and a
// candidate, with no sends and no writes, and the difference tallied: touches per lead, MQLs and
// handoffs and how soon, deferrals by cause, and the leads whose path changes. Pure and
// deterministic: the same leads give the same report, byte for byte.
import type { Shadow } from './engine/run';
import { iso } from './model/duration';
import type { LeadEvent } from './model/events';
import { sameJson } from './model/hash';
import type { Lead, LeadPlace } from './model/lead';
import type { SequenceDefinition } from './model/sequence';
import type { Catalog, Command } from './protocol';
import { foldTimeline, type TimelineOptions } from './simulate';

export interface PastLead {
  lead: Lead & LeadPlace;
  /** When it arrived (epoch ms). */
  start: number;
  /** Its stored events, oldest first. */
  events: LeadEvent[];
}

/** One entry of a lead's path at an instant: a touch (`email seq/step`) or a stage change (`stage lead → mql`). */
interface PathEntry {
  at: number;
  what: string;
}

/** What one catalog did with one lead: its path (touches and stage changes, in order), and when it qualified. */
interface LeadRun {
  path: PathEntry[];
  touches: number;
  mqlAfterMs?: number;
  handoffAfterMs?: number;
  /** Deferrals by cause, e.g. `cap:email` or `quiet_hours`. */
  deferrals: Map<string, number>;
}

type TimedEvents = TimelineOptions['inputs'];

/** The lead's events as the engine's inputs at their instants: parsed once for both catalogs. */
function eventInputs(past: PastLead): TimedEvents {
  return past.events.map((event) => ({ at: Date.parse(event.occurredAt), input: { kind: 'event', event } }));
}

/** Runs `past` through the engine under `catalog` from its arrival to `end`, watching where the `shadow`'s catalog would part from it when given. */
function replayLead(catalog: Catalog, past: PastLead, inputs: TimedEvents, end: number, shadow?: Shadow): LeadRun {
  const run: LeadRun = { path: [], touches: 0, deferrals: new Map() };
  // In place: nothing but the commands' plain fields is kept, read as each step gives them.
  foldTimeline({ catalog, lead: past.lead, start: past.start, end, inputs, shadow }, (output) => {
    for (const command of output.commands) note(run, command, past.start);
  }, true);
  return run;
}

function note(run: LeadRun, command: Command, start: number): void {
  switch (command.type) {
    case 'send':
      run.touches++;
      run.path.push({ at: command.touch.at, what: `${command.touch.channel} ${command.touch.sequenceId}/${command.touch.stepId}` });
      return;
    case 'changeStage':
      run.path.push({ at: command.at, what: `stage ${command.from} → ${command.to}` });
      if (command.to === 'mql' && run.mqlAfterMs === undefined) run.mqlAfterMs = command.at - start;
      return;
    case 'startHandoff':
      run.handoffAfterMs ??= command.handoff.at - start;
      return;
    case 'touchDeferred':
      for (const reason of command.reasons) run.deferrals.set(reason, (run.deferrals.get(reason) ?? 0) + 1);
      return;
  }
}

/** The definition each of a catalog's sequences enrols new leads in: all of a sequence a backtest's leads, new from their arrival, can read. */
const definitionOf = (catalog: Catalog, id: string): SequenceDefinition | undefined => catalog.versions[catalog.latest[id] ?? ''];

/**
 * The sequences `candidate` changes when it differs from `live` in nothing a run reads but those
 * sequences' steps (their audiences too are read, routing every lead) and the MQL and handoff bars:
 * then one replay under `live`, watching for those, serves both catalogs until it parts (Shadow).
 * Undefined when it differs in more.
 */
function sharedReplay({ live, candidate }: { live: Catalog; candidate: Catalog }): ReadonlySet<string> | undefined {
  const changed = new Set<string>();
  for (const id of new Set([...Object.keys(live.latest), ...Object.keys(candidate.latest)])) {
    const before = definitionOf(live, id);
    const after = definitionOf(candidate, id);
    if (sameJson(before, after)) continue;
    if (!before || !after || !sameJson(before.audience, after.audience)) return undefined;
    changed.add(id);
  }
  const { mql, handoff } = live.model.qualification;
  const rest = ({ routing, defaultSequence, longTermSequence }: Catalog, model: Catalog['model']) => ({ model, routing, defaultSequence, longTermSequence });
  const candidateModel = { ...candidate.model, qualification: { ...candidate.model.qualification, mql, handoff } };
  return sameJson(rest(live, live.model), rest(candidate, candidateModel)) ? changed : undefined;
}

/** sharedReplay's answer by pair of catalogs: a thread tallies each page in a tally of its own, with the same pair. */
const sharedReplays = new WeakMap<object, { changedSequences?: ReadonlySet<string> }>();

/** A path entry as the report shows it: `2025-01-06T09:00:00.000Z email welcome/intro`. */
const pathLine = (entry: PathEntry | undefined) => (entry ? `${iso(entry.at)} ${entry.what}` : '(nothing more)');

/** Entries read the same when their lines do: the same thing at the same whole millisecond. */
const sameEntry = (a: PathEntry | undefined, b: PathEntry | undefined) => (a && b ? a.what === b.what && a.at === b.at : a === b);

interface Side {
  touches: number;
  mqls: number[];
  handoffs: number[];
  deferrals: Map<string, number>;
}

export interface BacktestReport {
  leads: number;
  touchesPerLead: { live: number; candidate: number };
  mqls: { live: Qualified; candidate: Qualified };
  handoffs: { live: Qualified; candidate: Qualified };
  deferrals: { live: Record<string, number>; candidate: Record<string, number> };
  changedPaths: { leads: number; examples: { leadId: string; live: string; candidate: string }[] };
}

interface Qualified {
  count: number;
  /** Median hours from arrival (one decimal), among the leads that got there; null when none did. */
  medianHours: number | null;
}

const EXAMPLES = 5;
const HOUR_MS = 3_600_000;

/**
 * What a tally has counted, as plain data: a page of leads tallied on its own (on another thread)
 * and merged, page after page in the leads' order, gives the report the leads added one by one give.
 */
export interface BacktestPart {
  leads: number;
  live: SidePart;
  candidate: SidePart;
  changed: number;
  examples: BacktestReport['changedPaths']['examples'];
}

interface SidePart {
  touches: number;
  mqls: number[];
  handoffs: number[];
  deferrals: [string, number][];
}

/** Adds leads one at a time (in a stable order) and reports the difference; holds a few numbers per lead, not the leads. */
export class BacktestTally {
  private leads = 0;
  private readonly live: Side = { touches: 0, mqls: [], handoffs: [], deferrals: new Map() };
  private readonly candidate: Side = { touches: 0, mqls: [], handoffs: [], deferrals: new Map() };
  private changed = 0;
  private readonly examples: BacktestReport['changedPaths']['examples'] = [];
  /** The sequences the candidate changes, when one replay can serve both catalogs. */
  private readonly changedSequences?: ReadonlySet<string>;

  constructor(
    private readonly catalogs: { live: Catalog; candidate: Catalog },
    private readonly end: number,
  ) {
    let plan = sharedReplays.get(catalogs);
    if (!plan) sharedReplays.set(catalogs, (plan = { changedSequences: sharedReplay(catalogs) }));
    this.changedSequences = plan.changedSequences;
  }

  add(leadId: string, past: PastLead): void {
    const inputs = eventInputs(past);
    const { changedSequences } = this;
    const shadow = changedSequences && { qualification: this.catalogs.candidate.model.qualification, changedSequences, diverged: false };
    const live = replayLead(this.catalogs.live, past, inputs, this.end, shadow);
    const candidate = shadow && !shadow.diverged ? live : replayLead(this.catalogs.candidate, past, inputs, this.end);
    this.leads++;
    count(this.live, live);
    count(this.candidate, candidate);
    const at = firstDifference(live.path, candidate.path);
    if (at === undefined) return;
    this.changed++;
    if (this.examples.length < EXAMPLES) this.examples.push({ leadId, live: pathLine(live.path[at]), candidate: pathLine(candidate.path[at]) });
  }

  /** A page of leads, in order. */
  addPage(leads: PastLead[]): void {
    for (const past of leads) this.add(past.lead.id, past);
  }

  /** What this tally has counted, to merge into another. */
  part(): BacktestPart {
    const side = ({ touches, mqls, handoffs, deferrals }: Side): SidePart => ({ touches, mqls, handoffs, deferrals: [...deferrals] });
    return { leads: this.leads, live: side(this.live), candidate: side(this.candidate), changed: this.changed, examples: this.examples };
  }

  /** Counts what another tally counted, as if its leads had been added here now. */
  merge(part: BacktestPart): void {
    this.leads += part.leads;
    mergeSide(this.live, part.live);
    mergeSide(this.candidate, part.candidate);
    this.changed += part.changed;
    for (const example of part.examples) if (this.examples.length < EXAMPLES) this.examples.push(example);
  }

  report(): BacktestReport {
    return {
      leads: this.leads,
      touchesPerLead: { live: perLead(this.live.touches, this.leads), candidate: perLead(this.candidate.touches, this.leads) },
      mqls: { live: qualified(this.live.mqls), candidate: qualified(this.candidate.mqls) },
      handoffs: { live: qualified(this.live.handoffs), candidate: qualified(this.candidate.handoffs) },
      deferrals: { live: sortedRecord(this.live.deferrals), candidate: sortedRecord(this.candidate.deferrals) },
      changedPaths: { leads: this.changed, examples: this.examples },
    };
  }
}

function count(side: Side, run: LeadRun): void {
  side.touches += run.touches;
  if (run.mqlAfterMs !== undefined) side.mqls.push(run.mqlAfterMs);
  if (run.handoffAfterMs !== undefined) side.handoffs.push(run.handoffAfterMs);
  addDeferrals(side, run.deferrals);
}

function mergeSide(side: Side, part: SidePart): void {
  side.touches += part.touches;
  side.mqls.push(...part.mqls);
  side.handoffs.push(...part.handoffs);
  addDeferrals(side, part.deferrals);
}

function addDeferrals(side: Side, deferrals: Iterable<[string, number]>): void {
  for (const [reason, times] of deferrals) side.deferrals.set(reason, (side.deferrals.get(reason) ?? 0) + times);
}

function firstDifference(a: PathEntry[], b: PathEntry[]): number | undefined {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (!sameEntry(a[i], b[i])) return i;
  return undefined;
}
const round2 = (value: number) => Math.round(value * 100) / 100;
const perLead = (total: number, leads: number) => (leads ? round2(total / leads) : 0);

function qualified(afterMs: number[]): Qualified {
  if (!afterMs.length) return { count: 0, medianHours: null };
  const sorted = [...afterMs].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { count: sorted.length, medianHours: Math.round(median / HOUR_MS * 10) / 10 };
}

function sortedRecord(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts.keys()].sort().map((key) => [key, counts.get(key)!]));
}
