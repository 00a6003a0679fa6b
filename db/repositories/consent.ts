// Consent as stored facts: every change of a lead's consent on a channel, with its source, evidence
// and time, whatever door it came through; and addresses their owner opted out (an SMS STOP is
// about the phone, whichever leads share it). The send-time check reads the same facts the engine
// decides on: the latest on a channel stands, and at the same instant a refusal wins.
import type { ConsentChannel } from '../../core/model/events';
import type { Database } from '../pool';

export interface ConsentRecord {
  leadId: string;
  channel: ConsentChannel;
  granted: boolean;
  source: string;
  evidence?: Record<string, unknown>;
  /** When it was given or refused (epoch ms). */
  at: number;
  /** What identifies the fact where it came from (a text's SID), when its time does not: a retried webhook. */
  key?: string;
}

/** The same fact is one row, whichever door recorded it first: by its origin's key, else by lead, channel, answer and instant. */
function factKey(record: ConsentRecord): string {
  return record.key ? `${record.key}/${record.leadId}/${record.channel}` : `${record.leadId}/${record.channel}/${record.granted ? 'given' : 'refused'}/${record.at}`;
}

/** Records facts; a fact recorded before is kept as it was. */
export async function recordConsent(db: Database, records: ConsentRecord[]): Promise<void> {
  if (!records.length) return;
  await db.query(
    `INSERT INTO consent_records (idempotency_key, lead_id, channel, granted, source, evidence, at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::jsonb[], $7::timestamptz[])
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [
      records.map(factKey),
      records.map((r) => r.leadId),
      records.map((r) => r.channel),
      records.map((r) => r.granted),
      records.map((r) => r.source),
      records.map((r) => JSON.stringify(r.evidence ?? {})),
      records.map((r) => new Date(r.at)),
    ],
  );
}

/** Every consent fact of the lead, oldest first, as `GET /v1/leads/:id` shows them. */
export async function consentHistory(db: Database, leadId: string): Promise<{ channel: string; granted: boolean; source: string; evidence: Record<string, unknown>; at: string }[]> {
  const { rows } = await db.query<{ channel: string; granted: boolean; source: string; evidence: Record<string, unknown>; at: Date }>(
    'SELECT channel, granted, source, evidence, at FROM consent_records WHERE lead_id = $1 ORDER BY at, granted DESC, id',
    [leadId],
  );
  return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
}

/**
 * Whether the lead may be contacted on the channel at `address` now: no standing refusal of its own
 * (without any fact, the engine's policy decided), and the address not opted out by its owner.
 */
export async function mayContact(db: Database, leadId: string, channel: string, address?: string): Promise<boolean> {
  const { rows } = await db.query<{ refused: boolean; address_opted_out: boolean }>(
    `SELECT COALESCE((SELECT NOT granted FROM consent_records WHERE lead_id = $1 AND channel = $2 ORDER BY at DESC, granted ASC LIMIT 1), false) AS refused,
            EXISTS (SELECT 1 FROM suppressed_addresses WHERE channel = $2 AND address = $3) AS address_opted_out`,
    [leadId, channel, address ?? null],
  );
  return !rows[0]!.refused && !rows[0]!.address_opted_out;
}

/** Opts the address out; false when it was already. */
export async function suppressAddress(db: Database, channel: 'email' | 'sms', address: string, reason: string, source: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO suppressed_addresses (channel, address, reason, source) VALUES ($1, $2, $3, $4)
     ON CONFLICT (channel, address) DO NOTHING`,
    [channel, address, reason, source],
  );
  return rowCount === 1;
}

/** Lifts the address's opt-out; false when there was none. */
export async function liftAddress(db: Database, channel: 'email' | 'sms', address: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM suppressed_addresses WHERE channel = $1 AND address = $2', [channel, address]);
  return rowCount! > 0;
}
