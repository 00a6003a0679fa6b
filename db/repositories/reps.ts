// Sales reps, and which one takes a handoff.
import type { Lead } from '../../core/model/lead';
import type { Database } from '../pool';

/**
 * Assigns the lead to a rep whose territory and segment rules name it first; among equals, the one
 * assigned least recently (round robin). Empty rules match anyone; reps in `exclude` never.
 */
export async function assignRep(db: Database, lead: Omit<Lead, 'id'>, exclude: string[]): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE reps SET last_assigned_at = clock_timestamp()
     WHERE id = (
       SELECT id FROM reps
       WHERE active AND NOT (id = ANY($1))
       ORDER BY (($2::text IS NOT NULL AND $2 = ANY(territories)) OR ($3::text IS NOT NULL AND lower($3) = ANY(segments))) DESC,
                (cardinality(territories) = 0 OR $2 = ANY(territories)) DESC,
                last_assigned_at ASC NULLS FIRST, id
       LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id`,
    [exclude, lead.country ?? null, lead.industry ?? null],
  );
  return rows[0]?.id;
}
