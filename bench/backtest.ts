// bench/backtest: how fast `nurture backtest` runs past leads again, and whether its memory stays
// flat in the number of leads. Synthetic leads (varied fit, a year of events each: page views,
// email engagement, downloads, now and then a demo request) go through the backtest's tally under
// the live catalog and examples/candidate-catalog.ts, generated one at a time as the command reads
// them a page at a time. The database read is left out: this measures the engine's part.
// Prints one JSON object. Targets: ≥ 5,000 leads/s; peak heap flat from 10,000 to 100,000 leads.
import { performance } from 'node:perf_hooks';
import { placeOf } from '../channels/place';
import { BacktestTally, type PastLead } from '../core/backtest';
import { PAGE_CATEGORIES, type LeadEvent } from '../core/model/events';
import type { Lead } from '../core/model/lead';
import { seededRandom } from '../core/model/random';
import { catalog as candidate } from '../examples/candidate-catalog';
import { defaultCatalog } from '../sequences/library';

const SIZES = (process.env.BENCH_BACKTEST_LEADS ?? '10000,100000').split(',').map(Number);
const EVENTS_PER_LEAD = Number(process.env.BENCH_BACKTEST_EVENTS ?? 24);
const DAY = 86_400_000;
const YEAR = 365 * DAY;
const start = Date.parse('2025-01-06T09:00:00Z');
const INDUSTRIES = ['software', 'retail', 'manufacturing', 'finance'];
const TITLES = ['Head of Operations', 'Analyst', 'VP Sales', 'Engineer'];

function syntheticLead(n: number): PastLead {
  // The same leads on every run.
  const next = seededRandom(n + 1);
  const id = `lead-${n.toString(36).padStart(6, '0')}`;
  const lead: Lead = {
    id,
    email: `${id}@example.com`,
    title: TITLES[n % TITLES.length],
    industry: INDUSTRIES[(n >> 2) % INDUSTRIES.length],
    companySize: 20 + Math.floor(next() * 2000),
    country: n % 3 ? 'DE' : 'US',
    timezone: n % 3 ? 'Europe/Berlin' : 'America/New_York',
  };
  const arrived = start + Math.floor(next() * 30 * DAY);
  const times = Array.from({ length: EVENTS_PER_LEAD }, () => arrived + Math.floor(next() * YEAR)).sort((a, b) => a - b);
  const events = times.map((at, i): LeadEvent => {
    const base = { eventId: `${id}-${i}`, leadId: id, occurredAt: new Date(at).toISOString() };
    const pick = next();
    if (pick < 0.45) return { ...base, type: 'page_view', properties: { url: 'https://example.com/p', category: PAGE_CATEGORIES[Math.floor(next() * PAGE_CATEGORIES.length)]! } };
    if (pick < 0.75) return { ...base, type: 'email_open', properties: {} };
    if (pick < 0.87) return { ...base, type: 'email_click', properties: {} };
    if (pick < 0.97) return { ...base, type: 'content_download', properties: { assetId: 'guide-1', kind: 'guide' } };
    return { ...base, type: 'demo_request', properties: {} };
  });
  return { lead: { ...lead, ...placeOf(lead) }, start: arrived, events };
}

function measure(leads: number) {
  const end = start + YEAR + 30 * DAY;
  const tally = new BacktestTally({ live: defaultCatalog(), candidate }, end);
  let peakHeap = 0;
  let peakRss = 0;
  const began = performance.now();
  for (let n = 0; n < leads; n++) {
    const past = syntheticLead(n);
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
