import { capacityMarkdown, capacityOf, defaultAssumptions, figuresFromReport, MissingFigureError, type Assumptions, type MeasuredFigures } from '../../scripts/capacity';

const SECONDS_PER_YEAR = 365 * 86_400;

const leadYear = (events: number, scale: number) => ({
  eventsPerLeadYear: events,
  perLeadYear: {
    historyEvents: 200 * scale,
    historyBytes: 40_000 * scale,
    workflowTasks: 30 * scale,
    activityTasks: 10 * scale,
    actions: 60 * scale,
    postgres: { bytes: 25_000 * scale, rowWrites: 50 * scale, walBytes: 50_000 * scale },
  },
});

/** A report as `npm run bench -- footprint workflows channels api` writes it, with the figures the model reads. */
function benchReport() {
  return {
    at: '2026-12-05T00:00:00.000Z',
    report: {
      footprint: { config: { workflowCache: 10_000 }, cohorts: { engaged: leadYear(24, 4), quiet: leadYear(0, 1) }, wallSeconds: 107 },
      workflows: { events: { lead: { cpuMsPerEvent: { worker: 6, server: 3 } } }, replay: { inThisProcess: { historiesPerSecond: 100 }, avgHistoryEvents: 25 } },
      channels: { cpuMsPerEmail: 2.5 },
      api: { single: { sustainedPerSecond: 300 } },
    },
  };
}

/** Figures whose only cost is `cpuMsPerTask` for each of 1,000 workflow tasks a second (3,000 at the peak), all leads cached. */
function cpuBoundFigures(cpuMsPerWorkflowTask: number): MeasuredFigures {
  const figures = figuresFromReport(benchReport());
  const year = { ...figures.engaged, workflowTasks: (1_000 * SECONDS_PER_YEAR) / 1_000_000, activityTasks: 0 };
  return { ...figures, engaged: year, quiet: year, workflowCache: 1_000_000, cpuMsPerWorkflowTask };
}
const oneFleet: Assumptions = { fleets: [1_000_000], eventsPerLeadPerMonth: 2, peakToAverage: 3, coresPerWorker: 2, targetUtilisation: 0.6, workflowsPerShard: 10_000, minimumProcesses: 1 };

describe('capacity model', () => {
  it('needs ten times the actions, storage and write rate for ten times the leads', () => {
    const figures = figuresFromReport(benchReport());
    const [million, tenMillion] = capacityOf(figures, defaultAssumptions(figures));
    expect(million!.leads).toBe(1_000_000);
    expect(tenMillion!.temporalActionsPerMonth / million!.temporalActionsPerMonth).toBeCloseTo(10, 10);
    expect(tenMillion!.temporalActionsPerSecond.peak / million!.temporalActionsPerSecond.peak).toBeCloseTo(10, 10);
    expect(tenMillion!.postgresBytes / million!.postgresBytes).toBeCloseTo(10, 10);
    expect(tenMillion!.postgresRowWritesPerSecond.average / million!.postgresRowWritesPerSecond.average).toBeCloseTo(10, 10);
    // An engaged lead's 240 actions a year, over twelve months.
    expect(million!.temporalActionsPerMonth).toBeCloseTo((240 * 1_000_000) / 12, 3);
  });

  it('names a missing figure and the benchmark that measures it', () => {
    const report = benchReport();
    delete (report.report.channels as { cpuMsPerEmail?: number }).cpuMsPerEmail;
    expect(() => figuresFromReport(report)).toThrow(MissingFigureError);
    expect(() => figuresFromReport(report)).toThrow(/report\.channels\.cpuMsPerEmail: .*run `npm run bench -- channels`/);
  });

  it('refuses a figure a benchmark could not measure rather than computing with it', () => {
    const report = benchReport();
    // bench/workflows reports null where it cannot read the CPU (no /proc).
    (report.report.workflows.events.lead.cpuMsPerEvent as { worker: number | null }).worker = null;
    expect(() => figuresFromReport(report)).toThrow(/report\.workflows\.events\.lead\.cpuMsPerEvent\.worker: .*run `npm run bench -- workflows`/);
    expect(() => figuresFromReport({ something: 'else' })).toThrow(/not a report of `npm run bench`/);
  });

  it('rounds worker processes up, and needs more of them as a workflow task costs more CPU', () => {
    // 3,000 tasks/s at 1 ms: 3 cores, at 1.2 cores a worker (2 at 60 %): 2.5 workers, so 3.
    expect(capacityOf(cpuBoundFigures(1), oneFleet)[0]!.workerProcesses).toBe(3);
    // Twice the CPU a task: 6 cores, 5 workers.
    expect(capacityOf(cpuBoundFigures(2), oneFleet)[0]!.workerProcesses).toBe(5);
  });

  it('counts the replays of leads no worker has cached', () => {
    const cached = cpuBoundFigures(1);
    const [withReplays] = capacityOf({ ...cached, workflowCache: 1_000, replayMsPerHistoryEvent: 0.1 }, oneFleet);
    expect(withReplays!.workerCacheHitRatio).toBeLessThan(0.1);
    expect(withReplays!.workerProcesses).toBeGreaterThan(capacityOf(cached, oneFleet)[0]!.workerProcesses);
  });

  it('reads a lead with fewer events than the engaged one as lying between it and a quiet lead', () => {
    const figures = figuresFromReport(benchReport());
    const at = (eventsPerLeadPerMonth: number) => capacityOf(figures, { ...oneFleet, eventsPerLeadPerMonth })[0]!.temporalActionsPerMonth / 1_000_000;
    expect(at(0)).toBeCloseTo(60 / 12, 10);
    expect(at(2)).toBeCloseTo(240 / 12, 10);
    expect(at(1)).toBeCloseTo(150 / 12, 10);
  });

  it('gives history shards in powers of two, one per ten thousand leads or more', () => {
    const figures = figuresFromReport(benchReport());
    const shards = capacityOf(figures, defaultAssumptions(figures)).map((fleet) => fleet.historyShards);
    expect(shards).toEqual([128, 1024]);
  });

  it('prints the figures it used, its assumptions and a column per fleet', () => {
    const figures = figuresFromReport(benchReport());
    const markdown = capacityMarkdown(figures, defaultAssumptions(figures));
    expect(markdown).toContain('| active leads | 1M | 10M |');
    expect(markdown).toContain('| worker CPU per activity task | 2.5 ms | `channels` (per email) |');
    expect(markdown).toMatch(/\| Temporal Cloud actions\/month \| 20M \| 200M \|/);
  });
});
