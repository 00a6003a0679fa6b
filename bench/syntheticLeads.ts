// The synthetic leads of the benchmarks that need a lead's year (bench/backtest, bench/footprint):
// varied fit, arriving within a month of `start`, each with `eventsPerLead` events over the year
// after its arrival (page views, email engagement, downloads, now and then a demo request). Lead n
// is the same on every run.
import { placeOf } from '../channels/place';
import type { ArrivedLead, PastEventSource } from '../api/pastEvents';
import type { PastLead } from '../core/backtest';
import { PAGE_CATEGORIES, type LeadEvent } from '../core/model/events';
import type { Lead } from '../core/model/lead';
import { seededRandom } from '../core/model/random';

export const DAY = 86_400_000;
export const YEAR = 365 * DAY;
/** Leads arrive within this long after `start`. */
export const ARRIVAL_WINDOW = 30 * DAY;
const INDUSTRIES = ['software', 'retail', 'manufacturing', 'finance'];
const TITLES = ['Head of Operations', 'Analyst', 'VP Sales', 'Engineer'];

/** Lead n and when it arrived, without its events (the backtest's threads make those: syntheticEvents). */
export function syntheticArrival(n: number, start: number): ArrivedLead {
  const next = seededRandom(n + 1);
  const id = idOf(n);
  const lead: Lead = {
    id,
    email: `${id}@example.com`,
    title: TITLES[n % TITLES.length],
    industry: INDUSTRIES[(n >> 2) % INDUSTRIES.length],
    companySize: 20 + Math.floor(next() * 2000),
    country: n % 3 ? 'DE' : 'US',
    timezone: n % 3 ? 'Europe/Berlin' : 'America/New_York',
  };
  return { lead: { ...lead, ...placeOf(lead) }, start: start + Math.floor(next() * ARRIVAL_WINDOW) };
}

/** Lead n's events over the year after it arrived: drawn after its arrival from the same seed. */
export function syntheticEvents(n: number, arrived: number, eventsPerLead: number): LeadEvent[] {
  const next = seededRandom(n + 1);
  next(); // the lead's company size
  next(); // its arrival
  const id = idOf(n);
  const times = Array.from({ length: eventsPerLead }, () => arrived + Math.floor(next() * YEAR)).sort((a, b) => a - b);
  // Each event built whole, as the database read gives it: spreading a shared base into each costs
  // this bench more than the backtest's own work on the event.
  return times.map((at, i): LeadEvent => {
    const eventId = `${id}-${i}`;
    const occurredAt = new Date(at).toISOString();
    const pick = next();
    if (pick < 0.45) return { eventId, leadId: id, occurredAt, type: 'page_view', properties: { url: 'https://example.com/p', category: PAGE_CATEGORIES[Math.floor(next() * PAGE_CATEGORIES.length)]! } };
    if (pick < 0.75) return { eventId, leadId: id, occurredAt, type: 'email_open', properties: {} };
    if (pick < 0.87) return { eventId, leadId: id, occurredAt, type: 'email_click', properties: {} };
    if (pick < 0.97) return { eventId, leadId: id, occurredAt, type: 'content_download', properties: { assetId: 'guide-1', kind: 'guide' } };
    return { eventId, leadId: id, occurredAt, type: 'demo_request', properties: {} };
  });
}

export function syntheticLead(n: number, eventsPerLead: number, start: number): PastLead {
  const arrival = syntheticArrival(n, start);
  return { ...arrival, events: syntheticEvents(n, arrival.start, eventsPerLead) };
}

/** The events of synthetic leads, made where they are tallied, as a thread reads stored ones (see ThreadedTally). */
export function openPastEventSource({ eventsPerLead }: { eventsPerLead: number }): PastEventSource {
  return {
    pastLeads: async (arrived) => arrived.map((past) => ({ ...past, events: syntheticEvents(numberOf(past.lead.id), past.start, eventsPerLead) })),
  };
}

const idOf = (n: number) => `lead-${n.toString(36).padStart(6, '0')}`;
const numberOf = (id: string) => parseInt(id.slice('lead-'.length), 36);
