// Behavioural events as stored: each once (its id is the deduplication key), in arrival order per
// lead, pending until the ingestion relay has signalled them to the lead's workflow.
import type { Pool } from 'pg';
import type { LeadEvent } from '../../core/model/events';
import { inTransaction, type Database } from '../pool';
import { erasedLeadIds } from './leads';

export interface StoredEvents {
  accepted: number;
  duplicates: number;
  /** Events of erased leads: dropped, never stored. */
  erased: number;
  /** Leads with newly stored events, in order of first appearance. */
  leadIds: string[];
}

/**
 * Stores a batch in one statement; an event id seen before (in this batch or earlier) is a
 * duplicate, and an event of an erased lead is dropped: it would bring the person back.
 */
export async function storeEvents(db: Database, batch: LeadEvent[]): Promise<StoredEvents> {
  const erased = await erasedLeadIds(db, [...new Set(batch.map((e) => e.leadId))]);
  const events = batch.filter((e) => !erased.has(e.leadId));
  const dropped = batch.length - events.length;
  if (!events.length) return { accepted: 0, duplicates: 0, erased: dropped, leadIds: [] };
  const columns = 5;
  const values = events.map((_, i) => `($${i * columns + 1}, $${i * columns + 2}, $${i * columns + 3}, $${i * columns + 4}, $${i * columns + 5})`);
  const params = events.flatMap((e) => [e.eventId, e.leadId, e.type, e.occurredAt, JSON.stringify(e.properties ?? {})]);
  const { rows } = await db.query<{ lead_id: string }>(
    `INSERT INTO events (event_id, lead_id, type, occurred_at, properties) VALUES ${values.join(', ')}
     ON CONFLICT (event_id) DO NOTHING RETURNING lead_id`,
    params,
  );
  return { accepted: rows.length, duplicates: events.length - rows.length, erased: dropped, leadIds: [...new Set(rows.map((row) => row.lead_id))] };
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
 * Hands one lead's pending events, in order, to `deliver`, which marks what it delivered as it goes.
 * A transaction-scoped advisory lock keeps two relays (two API processes, or a request and the
 * sweep) from interleaving one lead's events: when another holds it, nothing is handed over. What
 * was marked before a failure stays marked.
 */
export async function withPendingEvents(pool: Pool, leadId: string, deliver: (events: LeadEvent[], markDelivered: (eventIds: string[]) => Promise<void>) => Promise<void>): Promise<void> {
  let failure: unknown;
  const delivered = inTransaction(pool, async (tx) => {
    // Another process delivering this lead's events holds the lock for one signal's time: wait for
    // it and deliver what it left (events stored meanwhile), rather than leave them to the sweep.
    await tx.query(`SET LOCAL lock_timeout = ${LOCK_WAIT_MS}`);
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('nurture-relay'), hashtext($1))", [leadId]);
    // Stored while the lead was being erased: dropped, never signalled (it would start the lead anew).
    await tx.query(
      `UPDATE events SET properties = '{}', delivered_at = now()
        WHERE lead_id = $1 AND delivered_at IS NULL AND EXISTS (SELECT 1 FROM leads WHERE id = $1 AND erased_at IS NOT NULL)`,
      [leadId],
    );
    const { rows } = await tx.query<PendingRow>('SELECT event_id, lead_id, type, occurred_at, properties FROM events WHERE lead_id = $1 AND delivered_at IS NULL ORDER BY seq', [leadId]);
    const markDelivered = async (eventIds: string[]) => void (await tx.query('UPDATE events SET delivered_at = now() WHERE event_id = ANY($1)', [eventIds]));
    // A failed delivery still commits the marks made before it.
    await deliver(rows.map(eventOf), markDelivered).catch((err: unknown) => void (failure = err));
  });
  // Still held after the wait (a stuck delivery elsewhere): the sweep takes them later.
  await delivered.catch((err: unknown) => {
    if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
  });
  if (failure !== undefined) throw failure;
}

const LOCK_NOT_AVAILABLE = '55P03';
/** Longer than one signal may take (the relay's signalTimeoutMs, 10 s by default). */
const LOCK_WAIT_MS = 15_000;

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
