// The capacity model: what a fleet of active leads needs (lead worker and API processes, Temporal
// history shards, Temporal Cloud actions, PostgreSQL size and write rate), computed from the figures
// `npm run bench` measured on this code and from assumptions stated beside them, so that the model
// moves when the code does. Pure: `npm run capacity` (scripts/capacityModel.ts) reads the report and
// prints what this returns. docs/capacity.md explains each step.
import { z } from 'zod';

const SECONDS_PER_YEAR = 365 * 86_400;

/** A lead's year as bench/footprint measures it (per lead and year of a cohort). */
const leadYearSchema = z.object({
  eventsPerLeadYear: z.number().min(0),
  perLeadYear: z.object({
    historyEvents: z.number(),
    historyBytes: z.number(),
    workflowTasks: z.number(),
    activityTasks: z.number(),
    actions: z.number(),
    postgres: z.object({ bytes: z.number(), rowWrites: z.number(), walBytes: z.number() }),
  }),
});

/** The figures of `.data/bench-report.json` the model reads; the rest of the report is left alone. */
const benchReportSchema = z.object({
  at: z.string(),
  report: z.object({
    footprint: z.object({
      config: z.object({ workflowCache: z.number().int().positive() }),
      cohorts: z.object({ engaged: leadYearSchema.extend({ eventsPerLeadYear: z.number().positive() }), quiet: leadYearSchema }),
    }),
    workflows: z.object({
      events: z.object({ lead: z.object({ cpuMsPerEvent: z.object({ worker: z.number().positive() }) }) }),
      replay: z.object({ inThisProcess: z.object({ historiesPerSecond: z.number().positive() }), avgHistoryEvents: z.number().positive() }),
    }),
    channels: z.object({ cpuMsPerEmail: z.number().positive() }),
    api: z.object({ single: z.object({ sustainedPerSecond: z.number().positive() }) }),
  }),
});

/** A lead's year, per lead: what it costs Temporal, the workers and PostgreSQL. */
interface LeadYear {
  events: number;
  historyEvents: number;
  historyBytes: number;
  workflowTasks: number;
  activityTasks: number;
  actions: number;
  postgresBytes: number;
  postgresRowWrites: number;
  walBytes: number;
}

/** What the benchmarks measured, in the units the model computes with. */
export interface MeasuredFigures {
  /** When `npm run bench` wrote the report. */
  at: string;
  /** bench/footprint: a lead with the measured mix of events, and one with none. */
  engaged: LeadYear;
  quiet: LeadYear;
  /** Leads a worker keeps cached (NURTURE_WORKFLOW_CACHE, as bench/footprint ran). */
  workflowCache: number;
  /** bench/workflows: a lead worker's CPU per event folded into a cached lead, taken as its CPU per workflow task. */
  cpuMsPerWorkflowTask: number;
  /** bench/workflows: CPU per history event replayed, which a lead not in the cache costs at its next task. */
  replayMsPerHistoryEvent: number;
  /** bench/channels: CPU per email sent, taken as a worker's CPU per activity task. */
  cpuMsPerActivityTask: number;
  /** bench/api: events a second one API process took one per request until each was signalled, on the bench machine. */
  apiEventsPerSecond: number;
}

/** A figure the report lacks or holds in the wrong shape, named with the benchmark that writes it. */
export class MissingFigureError extends Error {
  override name = 'MissingFigureError';
}

/** The model's figures from a bench report (`{ at, report: { <bench>: figures } }`, as bench/run.ts writes it). */
export function figuresFromReport(json: unknown): MeasuredFigures {
  const parsed = benchReportSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const bench = issue.path[1];
      const fix = typeof bench === 'string' ? `run \`npm run bench -- ${bench}\`` : 'not a report of `npm run bench`';
      return `  ${issue.path.join('.') || '(the report)'}: ${issue.message}: ${fix}`;
    });
    throw new MissingFigureError(`the bench report lacks figures the capacity model needs:\n${lines.join('\n')}`);
  }
  const { footprint, workflows, channels, api } = parsed.data.report;
  const leadYear = ({ eventsPerLeadYear, perLeadYear: year }: z.infer<typeof leadYearSchema>): LeadYear => ({
    events: eventsPerLeadYear,
    historyEvents: year.historyEvents,
    historyBytes: year.historyBytes,
    workflowTasks: year.workflowTasks,
    activityTasks: year.activityTasks,
    actions: year.actions,
    postgresBytes: year.postgres.bytes,
    postgresRowWrites: year.postgres.rowWrites,
    walBytes: year.postgres.walBytes,
  });
  return {
    at: parsed.data.at,
    engaged: leadYear(footprint.cohorts.engaged),
    quiet: leadYear(footprint.cohorts.quiet),
    workflowCache: footprint.config.workflowCache,
    cpuMsPerWorkflowTask: workflows.events.lead.cpuMsPerEvent.worker,
    replayMsPerHistoryEvent: 1000 / (workflows.replay.inThisProcess.historiesPerSecond * workflows.replay.avgHistoryEvents),
    cpuMsPerActivityTask: channels.cpuMsPerEmail,
    apiEventsPerSecond: api.single.sustainedPerSecond,
  };
}

export interface Assumptions {
  /** Active leads in each fleet the model sizes. */
  fleets: number[];
  eventsPerLeadPerMonth: number;
  /** The busiest hour's rate over the year's average: leads act in office hours, on weekdays. */
  peakToAverage: number;
  coresPerWorker: number;
  /** The share of its cores a process is sized to use at the peak. */
  targetUtilisation: number;
  /** Temporal: each history shard is "responsible for tens of thousands of Workflow Executions" (docs.temporal.io/temporal-service/temporal-server#history-shard); the low end. */
  workflowsPerShard: number;
  /** Of each kind of process, whatever the load: one may fail or be replaced. */
  minimumProcesses: number;
}

/** The assumptions docs/capacity.md states, with the events of the footprint's engaged cohort. */
export function defaultAssumptions(figures: MeasuredFigures): Assumptions {
  return {
    fleets: [1_000_000, 10_000_000],
    eventsPerLeadPerMonth: figures.engaged.events / 12,
    peakToAverage: 3,
    coresPerWorker: 2,
    targetUtilisation: 0.6,
    workflowsPerShard: 10_000,
    minimumProcesses: 2,
  };
}

/** A rate a second, on average over the year and in the busiest hour. */
interface Rate {
  average: number;
  peak: number;
}

export interface FleetCapacity {
  leads: number;
  /** Events and lead creations the API takes. */
  apiRequestsPerSecond: Rate;
  workerProcesses: number;
  /** The share of workflow tasks that find their lead in a worker's cache at that many workers. */
  workerCacheHitRatio: number;
  apiProcesses: number;
  historyShards: number;
  historyEventsPerSecondPerShard: number;
  temporalActionsPerSecond: Rate;
  temporalActionsPerMonth: number;
  /** Every run's history after a year: no lead continues as new within one. */
  temporalHistoryBytes: number;
  postgresBytes: number;
  postgresRowWritesPerSecond: Rate;
  postgresWalBytesPerDay: number;
}

/**
 * A lead's year with `eventsPerYear` events: between the quiet lead's and the engaged lead's, in
 * proportion to its events (beyond the engaged lead's, on the same line).
 */
function leadYearAt(figures: MeasuredFigures, eventsPerYear: number): LeadYear {
  const { quiet, engaged } = figures;
  const share = eventsPerYear / engaged.events;
  const at = (field: keyof LeadYear) => quiet[field] + (engaged[field] - quiet[field]) * share;
  return {
    events: eventsPerYear,
    historyEvents: at('historyEvents'),
    historyBytes: at('historyBytes'),
    workflowTasks: at('workflowTasks'),
    activityTasks: at('activityTasks'),
    actions: at('actions'),
    postgresBytes: at('postgresBytes'),
    postgresRowWrites: at('postgresRowWrites'),
    walBytes: at('walBytes'),
  };
}

/** The smallest power of two at or above `n`: Temporal clusters of different shard counts replicate only when one count divides the other. */
const powerOfTwoAtLeast = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

export function capacityOf(figures: MeasuredFigures, assumptions: Assumptions): FleetCapacity[] {
  const year = leadYearAt(figures, assumptions.eventsPerLeadPerMonth * 12);
  const rate = (perLeadYear: number, leads: number): Rate => {
    const average = (perLeadYear * leads) / SECONDS_PER_YEAR;
    return { average, peak: average * assumptions.peakToAverage };
  };
  return assumptions.fleets.map((leads) => {
    const workflowTasks = rate(year.workflowTasks, leads).peak;
    const activityTasks = rate(year.activityTasks, leads).peak;
    // A lead out of every worker's cache replays its history at its next task; over its year the
    // history grows from nothing to the year's, so a replay reads half of it on average.
    const missRatio = (workers: number) => Math.max(0, 1 - (workers * figures.workflowCache) / leads);
    const coresNeeded = (workers: number) =>
      (workflowTasks * (figures.cpuMsPerWorkflowTask + missRatio(workers) * figures.replayMsPerHistoryEvent * (year.historyEvents / 2)) + activityTasks * figures.cpuMsPerActivityTask) / 1000;
    const perWorker = assumptions.coresPerWorker * assumptions.targetUtilisation;
    // More workers cache more leads and replay less: the fewest that carry the load they leave each other.
    let workers = assumptions.minimumProcesses;
    while (coresNeeded(workers) > workers * perWorker) workers++;
    const apiRequests = rate(year.events + 1, leads);
    const historyShards = powerOfTwoAtLeast(leads / assumptions.workflowsPerShard);
    const actions = rate(year.actions, leads);
    return {
      leads,
      apiRequestsPerSecond: apiRequests,
      workerProcesses: workers,
      workerCacheHitRatio: 1 - missRatio(workers),
      apiProcesses: Math.max(assumptions.minimumProcesses, Math.ceil(apiRequests.peak / (figures.apiEventsPerSecond * assumptions.targetUtilisation))),
      historyShards,
      historyEventsPerSecondPerShard: rate(year.historyEvents, leads).peak / historyShards,
      temporalActionsPerSecond: actions,
      temporalActionsPerMonth: (year.actions * leads) / 12,
      temporalHistoryBytes: year.historyBytes * leads,
      postgresBytes: year.postgresBytes * leads,
      postgresRowWritesPerSecond: rate(year.postgresRowWrites, leads),
      postgresWalBytesPerDay: (year.walBytes * leads) / 365,
    };
  });
}

// --- the table -------------------------------------------------------------------------------------

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 3 });
const plain = (n: number, digits = 1) => n.toLocaleString('en', { maximumFractionDigits: digits });
const bytes = (n: number) => {
  const [unit, size] = ([['TB', 1e12], ['GB', 1e9], ['MB', 1e6]] as const).find(([, size]) => n >= size) ?? ['KB', 1e3];
  return `${plain(n / size)} ${unit}`;
};
const perSecond = ({ average, peak }: Rate) => `${plain(average, 2)} (peak ${plain(peak, 2)})`;

/** The model as markdown: the figures it used, its assumptions, and what each fleet needs. */
export function capacityMarkdown(figures: MeasuredFigures, assumptions: Assumptions): string {
  const fleets = capacityOf(figures, assumptions);
  const row = (label: string, cell: (fleet: FleetCapacity) => string) => `| ${label} | ${fleets.map(cell).join(' | ')} |`;
  const { engaged, quiet } = figures;
  return [
    `Figures measured by \`npm run bench\` at ${figures.at}:`,
    '',
    '| figure | value | from |',
    '|---|---|---|',
    `| a lead's year with ${plain(engaged.events)} events: history events, bytes | ${plain(engaged.historyEvents, 0)}, ${bytes(engaged.historyBytes)} | \`footprint\` |`,
    `| the same: workflow tasks, activity tasks, Temporal Cloud actions | ${plain(engaged.workflowTasks, 0)}, ${plain(engaged.activityTasks, 0)}, ${plain(engaged.actions, 0)} | \`footprint\` |`,
    `| the same: PostgreSQL bytes, row writes, WAL bytes | ${bytes(engaged.postgresBytes)}, ${plain(engaged.postgresRowWrites, 0)}, ${bytes(engaged.walBytes)} | \`footprint\` |`,
    `| a quiet lead's year (no events): history events, bytes | ${plain(quiet.historyEvents, 0)}, ${bytes(quiet.historyBytes)} | \`footprint\` |`,
    `| the same: workflow tasks, activity tasks, Temporal Cloud actions | ${plain(quiet.workflowTasks, 0)}, ${plain(quiet.activityTasks, 0)}, ${plain(quiet.actions, 0)} | \`footprint\` |`,
    `| the same: PostgreSQL bytes, row writes, WAL bytes | ${bytes(quiet.postgresBytes)}, ${plain(quiet.postgresRowWrites, 0)}, ${bytes(quiet.walBytes)} | \`footprint\` |`,
    `| leads a worker caches | ${plain(figures.workflowCache, 0)} | \`footprint\` (NURTURE_WORKFLOW_CACHE) |`,
    `| worker CPU per workflow task | ${plain(figures.cpuMsPerWorkflowTask, 2)} ms | \`workflows\` (per event folded) |`,
    `| worker CPU per history event replayed | ${plain(figures.replayMsPerHistoryEvent, 3)} ms | \`workflows\` (replay in one process) |`,
    `| worker CPU per activity task | ${plain(figures.cpuMsPerActivityTask, 2)} ms | \`channels\` (per email) |`,
    `| events one API process takes a second | ${plain(figures.apiEventsPerSecond)} | \`api\` (one per request, sustained) |`,
    '',
    'Assumptions:',
    '',
    '| assumption | value |',
    '|---|---|',
    `| events per lead per month | ${plain(assumptions.eventsPerLeadPerMonth, 2)} |`,
    `| busiest hour over the average | ${plain(assumptions.peakToAverage)}× |`,
    `| cores per worker process, used up to | ${plain(assumptions.coresPerWorker)}, ${plain(assumptions.targetUtilisation * 100, 0)} % |`,
    `| workflows per history shard | ${plain(assumptions.workflowsPerShard, 0)} |`,
    `| processes of each kind, at least | ${plain(assumptions.minimumProcesses, 0)} |`,
    '',
    `| active leads | ${fleets.map((fleet) => compact.format(fleet.leads)).join(' | ')} |`,
    `|---|${fleets.map(() => '---').join('|')}|`,
    row('API requests/s (events and new leads)', (fleet) => perSecond(fleet.apiRequestsPerSecond)),
    row('lead worker processes', (fleet) => `${fleet.workerProcesses} (cache hits ${plain(fleet.workerCacheHitRatio * 100, 0)} %)`),
    row('API processes', (fleet) => String(fleet.apiProcesses)),
    row('Temporal history shards (self-hosted)', (fleet) => `${fleet.historyShards} (peak ${plain(fleet.historyEventsPerSecondPerShard, 2)} history events/s each)`),
    row('Temporal Cloud actions/s', (fleet) => perSecond(fleet.temporalActionsPerSecond)),
    row('Temporal Cloud actions/month', (fleet) => compact.format(fleet.temporalActionsPerMonth)),
    row('Temporal history after a year', (fleet) => bytes(fleet.temporalHistoryBytes)),
    row('PostgreSQL size after a year (indexes included)', (fleet) => bytes(fleet.postgresBytes)),
    row('PostgreSQL row writes/s', (fleet) => perSecond(fleet.postgresRowWritesPerSecond)),
    row('PostgreSQL WAL per day', (fleet) => bytes(fleet.postgresWalBytesPerDay)),
  ].join('\n');
}
