// bench/core: how fast the reducer folds events, and how big a lead's state is after 10,000 of them.
// Prints one JSON object. Targets: ≥ 200,000 events/s on one core; ≤ 8 KB of state after 10,000 events.
import { createLead, step, steps } from '../core/engine';
import { PAGE_CATEGORIES, type LeadEvent } from '../core/model/events';
import { defaultCatalog } from '../sequences/library';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const STATE_EVENTS = 10_000;
const catalog = defaultCatalog();
const start = Date.parse('2026-01-05T09:00:00Z');

/** A realistic mix: mostly page views and email engagement, some downloads, clicks and key actions. */
function eventAt(i: number, at: number): LeadEvent {
  const base = { eventId: `evt-${i.toString(36).padStart(8, '0')}-${(i * 7919) % 100_000}`, leadId: 'bench-lead', occurredAt: new Date(at).toISOString() };
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
      return { ...base, type: 'page_view', properties: { url: `https://relay.example/p/${i % 50}`, category: PAGE_CATEGORIES[i % PAGE_CATEGORIES.length]! } };
    case 4:
    case 5:
      return { ...base, type: 'email_open', properties: {} };
    case 6:
      return { ...base, type: 'email_click', properties: {} };
    case 7:
      return { ...base, type: 'content_download', properties: { assetId: `asset-${i % 20}`, kind: 'guide' } };
    case 8:
      return { ...base, type: 'product_action', properties: { action: 'invite_user', key: i % 3 === 0 } };
    default:
      return { ...base, type: 'form_submit', properties: { formId: 'newsletter' } };
  }
}

/** Inputs that arrive together are folded in one call, as the lead workflow does with a burst of signals. */
const BATCH = 50;

function run(count: number, batch = 1) {
  const lead = { id: 'bench-lead', email: 'dana@northwind.example', title: 'Head of Operations', industry: 'software', companySize: 300, country: 'DE', timezone: 'Europe/Berlin' };
  let { state } = createLead(lead, start, catalog);
  // Events arrive about every 15 minutes: a year's worth of activity for the 10,000-event lead.
  const events = Array.from({ length: count }, (_, i) => eventAt(i, start + i * 15 * 60_000));
  const began = process.hrtime.bigint();
  for (let i = 0; i < count; i += batch) {
    const now = start + i * 15 * 60_000;
    state =
      batch === 1
        ? step(state, { kind: 'event', event: events[i]! }, now, catalog).state
        : steps(state, events.slice(i, i + batch).map((event) => ({ kind: 'event' as const, event })), now, catalog).state;
  }
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  return { state, seconds };
}

run(5_000); // warm-up: JIT
const single = run(EVENTS);
const batched = run(EVENTS, BATCH);
const sized = run(STATE_EVENTS);
const stateBytes = Buffer.byteLength(JSON.stringify(sized.state));
console.log(
  JSON.stringify({
    bench: 'core',
    events: EVENTS,
    eventsPerSecond: Math.round(EVENTS / single.seconds),
    eventsPerSecondBatched: Math.round(EVENTS / batched.seconds),
    batchSize: BATCH,
    stateBytesAfter10kEvents: stateBytes,
    targets: { eventsPerSecond: 200_000, stateBytesAfter10kEvents: 8192 },
  }),
);
