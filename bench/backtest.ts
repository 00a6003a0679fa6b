// bench/backtest: how fast `nurture backtest` runs past leads again, and whether its memory stays
// flat in the number of leads. Synthetic leads (varied fit, a year of events each: page views,
// email engagement, downloads, now and then a demo request) go through the backtest's tally under
// the live catalog and examples/candidate-catalog.ts, on BENCH_BACKTEST_JOBS threads as `--jobs`
// (default one per CPU; 1: none). As the command, the main thread reads the leads a page at a time
// and each thread gets its pages' events itself: the database read is left out (the leads and
// their events are made instead), this measures the engine's part.
// Prints one JSON object. Targets: ≥ 5,000 leads/s; memory flat from 10,000 to 100,000 leads: the
// main thread's heap after a full collection every 20 pages and at the end (the peak between them counts garbage).
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { LocalTally, ThreadedTally } from '../api/pastLeads';
import { BacktestTally, type BacktestReport } from '../core/backtest';
import { catalog as candidate } from '../examples/candidate-catalog';
import { defaultCatalog } from '../sequences/library';
import { gcFunction } from './gc';
import type { ArrivedLead } from '../api/pastEvents';
import { ARRIVAL_WINDOW, openPastEventSource, syntheticArrival, YEAR } from './syntheticLeads';

const SIZES = (process.env.BENCH_BACKTEST_LEADS ?? '10000,100000').split(',').map(Number);
const EVENTS_PER_LEAD = Number(process.env.BENCH_BACKTEST_EVENTS ?? 24);
/** Threads, as `nurture backtest --jobs`: 1 runs the leads on the main thread. */
const JOBS = Number(process.env.BENCH_BACKTEST_JOBS ?? availableParallelism());
/** Leads a page, as the command reads them. */
const PAGE = 500;
const start = Date.parse('2025-01-06T09:00:00Z');
const gc = gcFunction();

async function measure(leads: number) {
  const end = start + YEAR + ARRIVAL_WINDOW;
  const catalogs = { live: defaultCatalog(), candidate };
  const events = { eventsPerLead: EVENTS_PER_LEAD };
  const threaded = JOBS > 1 ? new ThreadedTally(catalogs, end, JOBS, { module: require.resolve('./syntheticLeads'), options: events }) : undefined;
  const single = new BacktestTally(catalogs, end);
  const local = new LocalTally(single, openPastEventSource(events));
  let peakHeap = 0;
  let peakRss = 0;
  let heldHeap = 0;
  const began = performance.now();
  let report: BacktestReport;
  try {
    for (let first = 0; first < leads; first += PAGE) {
      const page: ArrivedLead[] = [];
      for (let n = first; n < Math.min(first + PAGE, leads); n++) page.push(syntheticArrival(n, start));
      await (threaded ?? local).addPage(page);
      if ((first / PAGE) % 20 === 19 || first + PAGE >= leads) {
        gc();
        heldHeap = Math.max(heldHeap, process.memoryUsage().heapUsed);
      }
      const memory = process.memoryUsage();
      peakHeap = Math.max(peakHeap, memory.heapUsed);
      peakRss = Math.max(peakRss, memory.rss);
    }
    report = threaded ? await threaded.report() : single.report();
  } finally {
    await threaded?.close();
  }
  const seconds = (performance.now() - began) / 1000;
  return {
    leads,
    jobs: JOBS,
    leadsPerSecond: Math.round(leads / seconds),
    seconds: Math.round(seconds * 10) / 10,
    /** The main thread's heap; the threads' own heaps show in the process's RSS. */
    peakHeapMB: Math.round(peakHeap / 1e5) / 10,
    /** The most the main thread's heap held after a full collection: flat when the backtest's memory is. */
    heldHeapMB: Math.round(heldHeap / 1e5) / 10,
    peakRssMB: Math.round(peakRss / 1e5) / 10,
    changedPaths: report.changedPaths.leads,
    mqls: { live: report.mqls.live.count, candidate: report.mqls.candidate.count },
  };
}

void (async () => {
  const runs = [];
  for (const size of SIZES) {
    process.stderr.write(`[bench/backtest] ${size} leads, ${EVENTS_PER_LEAD} events each over a year, ${JOBS} thread(s)\n`);
    runs.push(await measure(size));
  }
  console.log(JSON.stringify({ eventsPerLead: EVENTS_PER_LEAD, runs }));
})();
