// The leads that arrived in a window, with their stored events, for a backtest: read a page at a
// time (memory stays flat however many there are) and added to the tally as `nurture backtest` and
// the backtest page both run it.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Pool } from 'pg';
import { placeOf } from '../channels/place';
import type { BacktestTally } from '../core/backtest';
import type { LeadEvent } from '../core/model/events';
import { eventsOfLeads } from '../db/repositories/events';
import { leadsArrivedBetween } from '../db/repositories/leads';

export interface PastLeadsOptions {
  /** Leads read at a time. */
  page?: number;
  /** Stop after this many leads (the first by id); all when absent. */
  limit?: number;
  /** Called after each page with the leads added so far. */
  onProgress?: (leads: number) => void;
}

/** Adds the leads that arrived in [from, to] to the tally, each with its events up to `to`; resolves to how many were added. */
export async function tallyPastLeads(pool: Pool, tally: BacktestTally, from: Date, to: Date, options: PastLeadsOptions = {}): Promise<number> {
  const { page = 500, limit = Infinity, onProgress } = options;
  let afterId: string | null = null;
  let seen = 0;
  while (seen < limit) {
    const leads = await leadsArrivedBetween(pool, from, to, afterId, Math.min(page, limit - seen));
    if (!leads.length) break;
    const eventsByLead = new Map<string, LeadEvent[]>();
    for (const event of await eventsOfLeads(pool, leads.map((lead) => lead.id), to)) {
      const events = eventsByLead.get(event.leadId) ?? [];
      events.push(event);
      eventsByLead.set(event.leadId, events);
    }
    for (const { arrivedAt, ...lead } of leads) {
      tally.add(lead.id, { lead: { ...lead, ...placeOf(lead) }, start: arrivedAt.getTime(), events: eventsByLead.get(lead.id) ?? [] });
    }
    afterId = leads.at(-1)!.id;
    onProgress?.((seen += leads.length));
    // The engine's work is CPU: a process that also serves requests answers them between pages.
    await nextTurn();
  }
  return seen;
}
