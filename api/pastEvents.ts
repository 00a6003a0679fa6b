// Where a backtest's past leads get their events: the events stored up to the backtest's end, read
// a page of leads at a time, on the thread that tallies the page (a tallying thread opens its own
// connection: openPastEventSource).
import { Pool } from 'pg';
import type { PastLead } from '../core/backtest';
import type { LeadEvent } from '../core/model/events';
import type { Database } from '../db/pool';
import { eventsOfLeads } from '../db/repositories/events';

/** A past lead before its events are read: the lead and when it arrived. */
export type ArrivedLead = Omit<PastLead, 'events'>;

/** Where the events of a page of arrived leads come from: the database, or a benchmark's own. */
export interface PastEventSource {
  pastLeads(arrived: ArrivedLead[]): Promise<PastLead[]>;
  close?(): Promise<void>;
}

/** The events of each lead stored up to `until` (the backtest's end), read in one query a page. */
export function storedEvents(db: Database, until: Date): PastEventSource {
  return {
    async pastLeads(arrived) {
      const eventsByLead = new Map<string, LeadEvent[]>();
      for (const event of await eventsOfLeads(db, arrived.map(({ lead }) => lead.id), until)) {
        const events = eventsByLead.get(event.leadId) ?? [];
        events.push(event);
        eventsByLead.set(event.leadId, events);
      }
      return arrived.map((past) => ({ ...past, events: eventsByLead.get(past.lead.id) ?? [] }));
    },
  };
}

/** A tallying thread's own connection to the database and the stored events through it (see ThreadedTally). */
export function openPastEventSource({ connectionString, until }: { connectionString: string; until: number }): PastEventSource {
  const pool = new Pool({ connectionString, max: 1 });
  return { ...storedEvents(pool, new Date(until)), close: () => pool.end() };
}
