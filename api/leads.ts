// Leads as stored: the profile columns of the leads table, written from the lead schema.
import type { Pool } from 'pg';
import { inTransaction } from '../activities/store';
import type { Lead } from '../core/model/lead';

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

/** Creates or updates the lead's row with the fields given; true when it was created. */
export async function saveLead(pool: Pool, lead: Lead): Promise<boolean> {
  const columns = Object.entries(PROFILE_COLUMNS).filter(([, field]) => lead[field] !== undefined);
  const names = columns.map(([column]) => column);
  const values = columns.map(([, field]) => lead[field]);
  const { rows } = await pool.query<{ created: boolean }>(
    `INSERT INTO leads (id, ${[...names, 'consent', 'attributes'].join(', ')})
     VALUES ($1, ${names.map((_, i) => `$${i + 2}`).join(', ')}${names.length ? ', ' : ''}$${names.length + 2}, $${names.length + 3})
     ON CONFLICT (id) DO UPDATE SET ${[...names.map((name) => `${name} = EXCLUDED.${name}`), 'consent = leads.consent || EXCLUDED.consent', 'attributes = leads.attributes || EXCLUDED.attributes', 'updated_at = now()'].join(', ')}
     RETURNING (xmax = 0) AS created`,
    [lead.id, ...values, JSON.stringify(lead.consent ?? {}), JSON.stringify(lead.attributes ?? {})],
  );
  return rows[0]!.created;
}

export function profileOf(row: Record<string, unknown>): Record<string, unknown> {
  const profile: Record<string, unknown> = {};
  for (const [column, field] of Object.entries(PROFILE_COLUMNS)) if (row[column] != null) profile[field] = row[column];
  return { ...profile, consent: row.consent, attributes: row.attributes, stage: row.stage, tier: row.tier, totalScore: row.total_score, sequenceId: row.sequence_id };
}

/**
 * Erasure (GDPR art. 17): the lead's personal data goes, in one transaction; the row stays with its
 * stage and dates, so funnel counts stay right, and nothing left names the person. False when there
 * is no such lead (or it was erased before).
 */
export async function eraseLead(pool: Pool, id: string): Promise<boolean> {
  return inTransaction(pool, async (db) => {
    const { rowCount } = await db.query(
      `UPDATE leads SET ${Object.keys(PROFILE_COLUMNS).filter((column) => column !== 'source').map((column) => `${column} = NULL`).join(', ')},
         consent = '{}', attributes = '{}', erased_at = now(), updated_at = now()
       WHERE id = $1 AND erased_at IS NULL`,
      [id],
    );
    if (!rowCount) return false;
    await db.query("UPDATE events SET properties = '{}' WHERE lead_id = $1", [id]);
    await db.query("UPDATE sends SET recipient = NULL, links = '[]' WHERE lead_id = $1", [id]);
    await db.query('DELETE FROM in_app_messages WHERE lead_id = $1', [id]);
    await db.query("UPDATE handoffs SET context = '{}', note = NULL WHERE lead_id = $1", [id]);
    return true;
  });
}
