// bench/backtest: how fast `nurture backtest` runs past leads again, and whether its memory stays
// flat in the number of leads. Synthetic leads (varied fit, a year of events each: page views,
// email engagement, downloads, now and then a demo request) go through the backtest's tally under
// the live catalog and examples/candidate-catalog.ts, generated one at a time as the command reads
// them a page at a time. The database read is left out: this measures the engine's part.
// Prints one JSON object. Targets: ≥ 5,000 leads/s; peak heap flat from 10,000 to 100,000 leads.
import { performance } from 'node:perf_hooks';
import { BacktestTally } from '../core/backtest';
import { catalog as candidate } from '../examples/candidate-catalog';
import { defaultCatalog } from '../sequences/library';
import { ARRIVAL_WINDOW, syntheticLead, YEAR } from './syntheticLeads';

const SIZES = (process.env.BENCH_BACKTEST_LEADS ?? '10000,100000').split(',').map(Number);
const EVENTS_PER_LEAD = Number(process.env.BENCH_BACKTEST_EVENTS ?? 24);
const start = Date.parse('2025-01-06T09:00:00Z');

function measure(leads: number) {
  const end = start + YEAR + ARRIVAL_WINDOW;
  const tally = new BacktestTally({ live: defaultCatalog(), candidate }, end);
  let peakHeap = 0;
  let peakRss = 0;
  const began = performance.now();
  for (let n = 0; n < leads; n++) {
    const past = syntheticLead(n, EVENTS_PER_LEAD, start);
    tally.add(past.lead.id, past);
    if (n % 1000 === 0) {
      const memory = process.memoryUsage();
      peakHeap = Math.max(peakHeap, memory.heapUsed);
      peakRss = Math.max(peakRss, memory.rss);
    }
  }
  const seconds = (performance.now() - began) / 1000;
  const report = tally.report();
  return {
    leads,
    leadsPerSecond: Math.round(leads / seconds),
    seconds: Math.round(seconds * 10) / 10,
    peakHeapMB: Math.round(peakHeap / 1e5) / 10,
    peakRssMB: Math.round(peakRss / 1e5) / 10,
    changedPaths: report.changedPaths.leads,
    mqls: { live: report.mqls.live.count, candidate: report.mqls.candidate.count },
  };
}

const runs = SIZES.map((size) => {
  process.stderr.write(`[bench/backtest] ${size} leads, ${EVENTS_PER_LEAD} events each over a year\n`);
  return measure(size);
});
console.log(JSON.stringify({ eventsPerLead: EVENTS_PER_LEAD, runs }));
