// Leads as stored: the profile columns written from the lead schema, the snapshot the engine keeps
// current (stage, tier, score, sequence), lists for the API, and erasure.
import type { Lead } from '../../core/model/lead';
import type { LeadSnapshot } from '../../core/protocol';
import { inTransaction, type Database } from '../pool';
import type { Pool } from 'pg';

const PROFILE_COLUMNS: Record<string, keyof Lead> = {
  email: 'email',
  phone: 'phone',
  first_name: 'firstName',
  last_name: 'lastName',
  company: 'company',
  title: 'title',
  industry: 'industry',
  company_size: 'companySize',
  country: 'country',
  timezone: 'timezone',
  source: 'source',
};

/** The profile's fields, in the order of the columns that hold them. */
export const PROFILE_FIELDS = Object.values(PROFILE_COLUMNS);

export type LeadRow = Record<string, unknown> & { id: string };

/** Creates or updates the lead's row with the fields given; true when it was created. */
export async function saveLead(db: Database, lead: Lead): Promise<boolean> {
  const columns = Object.entries(PROFILE_COLUMNS).filter(([, field]) => lead[field] !== undefined);
  const names = columns.map(([column]) => column);
  const values = columns.map(([, field]) => lead[field]);
  const { rows } = await db.query<{ created: boolean }>(
    `INSERT INTO leads (id, ${[...names, 'consent', 'attributes'].join(', ')})
     VALUES ($1, ${names.map((_, i) => `$${i + 2}`).join(', ')}${names.length ? ', ' : ''}$${names.length + 2}, $${names.length + 3})
     ON CONFLICT (id) DO UPDATE SET ${[...names.map((name) => `${name} = EXCLUDED.${name}`), 'consent = leads.consent || EXCLUDED.consent', 'attributes = leads.attributes || EXCLUDED.attributes', 'updated_at = now()'].join(', ')}
     RETURNING (xmax = 0) AS created`,
    [lead.id, ...values, JSON.stringify(lead.consent ?? {}), JSON.stringify(lead.attributes ?? {})],
  );
  return rows[0]!.created;
}

export async function upsertLeadSnapshot(db: Database, leadId: string, snapshot: LeadSnapshot): Promise<void> {
  await db.query(
    `INSERT INTO leads (id, stage, tier, total_score, sequence_id, holdout, segment) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET stage = $2, tier = $3, total_score = $4, sequence_id = $5, holdout = $6, segment = COALESCE($7, leads.segment), updated_at = now()`,
    [leadId, snapshot.stage, snapshot.tier, snapshot.totalScore, snapshot.sequenceId ?? null, snapshot.holdout, snapshot.segment ?? null],
  );
}

/** The lead's profile and snapshot as the API shows them. */
export function profileOf(row: Record<string, unknown>): Record<string, unknown> {
  const profile: Record<string, unknown> = {};
  for (const [column, field] of Object.entries(PROFILE_COLUMNS)) if (row[column] != null) profile[field] = row[column];
  return { ...profile, consent: row.consent, attributes: row.attributes, stage: row.stage, tier: row.tier, totalScore: row.total_score, sequenceId: row.sequence_id, segment: row.segment };
}

/** The lead as channels address it (identifiers included), read at send time; undefined when unknown or erased. */
export async function findLeadIdentity(db: Database, id: string): Promise<Lead | undefined> {
  const row = await findLead(db, id);
  return row ? leadOfRow(row) : undefined;
}

function leadOfRow(row: LeadRow): Lead {
  const lead: Record<string, unknown> = { id: row.id };
  for (const [column, field] of Object.entries(PROFILE_COLUMNS)) if (row[column] != null) lead[field] = row[column];
  const attributes = row.attributes as Lead['attributes'];
  return { ...lead, ...(attributes && Object.keys(attributes).length ? { attributes } : {}) } as Lead;
}

export async function findLead(db: Database, id: string): Promise<LeadRow | undefined> {
  const { rows } = await db.query<LeadRow>('SELECT * FROM leads WHERE id = $1 AND erased_at IS NULL', [id]);
  return rows[0];
}

export interface LeadFilter {
  stage?: string;
  segment?: string;
  source?: string;
  tier?: string;
  sequence?: string;
  /** Words in the lead's name or company (case-insensitive). */
  search?: string;
  minScore?: number;
  maxScore?: number;
  /** Only leads whose id sorts after this one (keyset pagination: stable while leads are added). */
  afterId?: string;
  limit: number;
}

export async function listLeads(db: Database, filter: LeadFilter): Promise<LeadRow[]> {
  const { rows } = await db.query<LeadRow>(
    `SELECT * FROM leads WHERE erased_at IS NULL
       AND ($1::text IS NULL OR stage = $1) AND ($2::text IS NULL OR segment = $2) AND ($3::text IS NULL OR source = $3)
       AND ($4::text IS NULL OR id > $4) AND ($6::text IS NULL OR tier = $6) AND ($7::text IS NULL OR sequence_id = $7)
       AND ($8::text IS NULL OR concat_ws(' ', first_name, last_name, company) ILIKE $8 ESCAPE '\\')
       AND ($9::numeric IS NULL OR total_score >= $9) AND ($10::numeric IS NULL OR total_score <= $10)
     ORDER BY id LIMIT $5`,
    [
      filter.stage ?? null,
      filter.segment ?? null,
      filter.source ?? null,
      filter.afterId ?? null,
      filter.limit,
      filter.tier ?? null,
      filter.sequence ?? null,
      filter.search ? `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null,
      filter.minScore ?? null,
      filter.maxScore ?? null,
    ],
  );
  return rows;
}

/** The values the lead filters offer: the sources, stages, tiers and segments leads have. */
export async function leadFilterOptions(db: Database): Promise<{ sources: string[]; stages: string[]; tiers: string[]; segments: string[] }> {
  const distinct = async (column: 'source' | 'stage' | 'tier' | 'segment') =>
    (await db.query<{ value: string }>(`SELECT DISTINCT ${column} AS value FROM leads WHERE ${column} IS NOT NULL ORDER BY 1 LIMIT 200`)).rows.map((row) => row.value);
  const [sources, stages, tiers, segments] = await Promise.all([distinct('source'), distinct('stage'), distinct('tier'), distinct('segment')]);
  return { sources, stages, tiers, segments };
}

/** Leads (not erased) that arrived in [from, to], a page at a time by id, with their profile: the backtest's input. */
export async function leadsArrivedBetween(db: Database, from: Date, to: Date, afterId: string | null, limit: number): Promise<(Lead & { arrivedAt: Date })[]> {
  const { rows } = await db.query<LeadRow>(
    `SELECT * FROM leads WHERE erased_at IS NULL AND created_at BETWEEN $1 AND $2 AND ($3::text IS NULL OR id > $3)
     ORDER BY id LIMIT $4`,
    [from, to, afterId, limit],
  );
  return rows.map((row) => {
    const consent = row.consent as Lead['consent'];
    return { ...leadOfRow(row), ...(consent && Object.keys(consent).length ? { consent } : {}), arrivedAt: row.created_at as Date };
  });
}

/** Leads we have texted at the number, and leads whose profile has it. */
export async function leadsWithPhone(db: Database, phone: string): Promise<string[]> {
  const { rows } = await db.query<{ lead_id: string }>(
    `SELECT lead_id FROM sends WHERE channel = 'sms' AND recipient = $1
     UNION SELECT id FROM leads WHERE phone = $1
     ORDER BY lead_id`,
    [phone],
  );
  return rows.map((row) => row.lead_id);
}

export interface Tombstone {
  kind: 'email' | 'phone';
  /** A keyed hash of the identifier, never the identifier. */
  hash: string;
}

/**
 * Erasure (GDPR art. 17): the lead's personal data goes, in one transaction; the row stays with its
 * stage and dates, so funnel counts stay right, and nothing left names the person. The tombstones
 * refuse the same identifiers later, under any id. Events still waiting for the workflow are
 * dropped. False when there is no such lead (or it was erased before).
 */
export async function eraseLead(pool: Pool, id: string, tombstones: Tombstone[], addresses: { channel: 'email' | 'sms'; address: string }[]): Promise<boolean> {
  return inTransaction(pool, async (db) => {
    const { rowCount } = await db.query(
      `UPDATE leads SET ${Object.keys(PROFILE_COLUMNS).filter((column) => column !== 'source').map((column) => `${column} = NULL`).join(', ')},
         consent = '{}', attributes = '{}', erased_at = now(), updated_at = now()
       WHERE id = $1 AND erased_at IS NULL`,
      [id],
    );
    if (!rowCount) return false;
    await db.query(
      `INSERT INTO erased_identifiers (kind, hash) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      [tombstones.map((t) => t.kind), tombstones.map((t) => t.hash)],
    );
    // An address opted out by its owner is refused by the tombstone from now on: the address itself goes.
    for (const { channel, address } of addresses) await db.query('DELETE FROM suppressed_addresses WHERE channel = $1 AND address = $2', [channel, address]);
    await db.query("UPDATE events SET properties = '{}', delivered_at = COALESCE(delivered_at, now()) WHERE lead_id = $1", [id]);
    await db.query("UPDATE sends SET recipient = NULL, links = '[]' WHERE lead_id = $1", [id]);
    await db.query('DELETE FROM in_app_messages WHERE lead_id = $1', [id]);
    await db.query("UPDATE handoffs SET context = '{}', note = NULL WHERE lead_id = $1", [id]);
    // The consent history stays as the record of who may be contacted; its evidence is free text.
    await db.query("UPDATE consent_records SET evidence = '{}' WHERE lead_id = $1", [id]);
    return true;
  });
}

/** The tombstones among `hashes`: identifiers of leads erased before. */
export async function erasedIdentifiers(db: Database, tombstones: Tombstone[]): Promise<Tombstone[]> {
  if (!tombstones.length) return [];
  const { rows } = await db.query<Tombstone>(
    'SELECT kind, hash FROM erased_identifiers WHERE (kind, hash) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
    [tombstones.map((t) => t.kind), tombstones.map((t) => t.hash)],
  );
  return rows;
}

/** The leads among `ids` that were erased. */
export async function erasedLeadIds(db: Database, ids: string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM leads WHERE id = ANY($1) AND erased_at IS NOT NULL', [ids]);
  return new Set(rows.map((row) => row.id));
}
