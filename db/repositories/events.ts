// Behavioural events as stored: each once (its id is the deduplication key), in arrival order per
// lead, pending until the ingestion relay has signalled them to the lead's workflow.
import type { Pool } from 'pg';
import type { LeadEvent } from '../../core/model/events';
import { inTransaction, type Database } from '../pool';

export interface StoredEvents {
  accepted: number;
  duplicates: number;
  /** Events of erased leads: dropped, never stored. */
  erased: number;
  /** Leads with newly stored events, in order of first appearance. */
  leadIds: string[];
}

/**
 * Stores several requests' events in one statement: an event id seen before (earlier, in another
 * request of the group, or earlier in its own) is a duplicate of the first that carried it, and an
 * event of an erased lead is dropped: it would bring the person back. One result per request.
 */
export async function storeEventGroups(db: Database, groups: LeadEvent[][]): Promise<StoredEvents[]> {
  const all = groups.flat();
  if (!all.length) return groups.map(() => ({ accepted: 0, duplicates: 0, erased: 0, leadIds: [] }));
  // One round trip: the erased leads among these, and the events of the others inserted.
  const { rows } = await db.query<{ erased: string | null; stored: string | null }>(
    `WITH erased AS (SELECT id FROM leads WHERE id = ANY($2::text[]) AND erased_at IS NOT NULL),
     stored AS (
       INSERT INTO events (event_id, lead_id, type, occurred_at, properties)
       SELECT e.* FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[]) AS e(event_id, lead_id, type, occurred_at, properties)
       WHERE e.lead_id NOT IN (SELECT id FROM erased)
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id)
     SELECT id AS erased, NULL AS stored FROM erased UNION ALL SELECT NULL, event_id FROM stored`,
    [all.map((e) => e.eventId), all.map((e) => e.leadId), all.map((e) => e.type), all.map((e) => e.occurredAt), all.map((e) => JSON.stringify(e.properties ?? {}))],
  );
  const erased = new Set(rows.flatMap((row) => (row.erased === null ? [] : [row.erased])));
  const inserted = new Set(rows.flatMap((row) => (row.stored === null ? [] : [row.stored])));
  return groups.map((group) => {
    const kept = group.filter((e) => !erased.has(e.leadId));
    // The first event to claim an inserted id is the one stored; any later one is its duplicate.
    const stored = kept.filter((e) => inserted.delete(e.eventId));
    return { accepted: stored.length, duplicates: kept.length - stored.length, erased: group.length - kept.length, leadIds: [...new Set(stored.map((e) => e.leadId))] };
  });
}

/** Stores one batch in one statement (see storeEventGroups). */
export async function storeEvents(db: Database, batch: LeadEvent[]): Promise<StoredEvents> {
  const [stored] = await storeEventGroups(db, [batch]);
  return stored!;
}

/** Leads with events still waiting for their workflow (left by an outage or a stop). */
export async function leadsWithPendingEvents(db: Database, limit = 1000): Promise<string[]> {
  const { rows } = await db.query<{ lead_id: string }>('SELECT DISTINCT lead_id FROM events WHERE delivered_at IS NULL LIMIT $1', [limit]);
  return rows.map((row) => row.lead_id);
}

interface PendingRow {
  event_id: string;
  lead_id: string;
  type: string;
  occurred_at: Date;
  properties: Record<string, unknown>;
}

/**
 * Hands these leads' pending events, each lead's in order, to `deliver`, which answers the ids it
 * delivered; those are marked in the same transaction. A transaction-scoped advisory lock per lead
 * keeps two relays (two API processes, or a request and the sweep) from interleaving one lead's
 * events: a lead another holds is not handed over but answered as `held`, for the caller to try
 * again once that delivery has ended.
 */
export async function withPendingEvents(
  pool: Pool,
  leadIds: string[],
  deliver: (pending: Map<string, LeadEvent[]>) => Promise<string[]>,
): Promise<{ held: string[] }> {
  return inTransaction(pool, async (tx) => {
    const { rows: locked } = await tx.query<{ id: string }>(
      "SELECT id FROM unnest($1::text[]) AS id WHERE pg_try_advisory_xact_lock(hashtext('nurture-relay'), hashtext(id))",
      [leadIds],
    );
    const mine = locked.map((row) => row.id);
    const taken = new Set(mine);
    const held = leadIds.filter((id) => !taken.has(id));
    if (!mine.length) return { held };
    const { rows } = await tx.query<PendingRow & { erased: boolean }>(
      `SELECT e.event_id, e.lead_id, e.type, e.occurred_at, e.properties, l.erased_at IS NOT NULL AS erased
         FROM events e LEFT JOIN leads l ON l.id = e.lead_id
        WHERE e.lead_id = ANY($1) AND e.delivered_at IS NULL ORDER BY e.seq`,
      [mine],
    );
    const pending = new Map<string, LeadEvent[]>();
    // Stored while the lead was being erased: dropped, never signalled (it would start the lead anew).
    const dropped: string[] = [];
    for (const row of rows) {
      if (row.erased) {
        dropped.push(row.event_id);
        continue;
      }
      const events = pending.get(row.lead_id) ?? [];
      pending.set(row.lead_id, events);
      events.push(eventOf(row));
    }
    const delivered = pending.size ? await deliver(pending) : [];
    if (delivered.length || dropped.length) {
      await tx.query(
        `UPDATE events SET delivered_at = now(), properties = CASE WHEN event_id = ANY($2) THEN '{}'::jsonb ELSE properties END
          WHERE event_id = ANY($1) OR event_id = ANY($2)`,
        [delivered, dropped],
      );
    }
    return { held };
  });
}

function eventOf(row: PendingRow): LeadEvent {
  return { eventId: row.event_id, leadId: row.lead_id, type: row.type, occurredAt: row.occurred_at.toISOString(), properties: row.properties } as LeadEvent;
}

/** The stored events of these leads up to `until`, in the order they happened (arrival order on a tie), for a backtest. */
export async function eventsOfLeads(db: Database, leadIds: string[], until: Date): Promise<LeadEvent[]> {
  const { rows } = await db.query<PendingRow>(
    'SELECT event_id, lead_id, type, occurred_at, properties FROM events WHERE lead_id = ANY($1) AND occurred_at <= $2 ORDER BY lead_id, occurred_at, seq',
    [leadIds, until],
  );
  return rows.map(eventOf);
}

/** When the latest stored event happened; undefined when there is none. */
export async function latestEventAt(db: Database): Promise<Date | undefined> {
  const { rows } = await db.query<{ at: Date | null }>('SELECT max(occurred_at) AS at FROM events');
  return rows[0]?.at ?? undefined;
}
