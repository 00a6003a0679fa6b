// The sales-handoff workflow's tasks in PostgreSQL: rep assignment (territory and segment rules,
// else round robin over active reps), the task with the lead's context, escalation and closing.
import type { Pool } from 'pg';
import { countHandoff, observeSpeedToLead } from './metrics';
import { recordActivity } from './store';
import type { HandoffActivities } from './types';

export function createHandoffActivities({ pool }: { pool: Pool }): HandoffActivities {
  return {
    async assignRep({ lead, exclude }) {
      // A rep whose territory and segment rules name the lead comes first; among equals, the one
      // assigned least recently (round robin). Empty rules match anyone.
      const { rows } = await pool.query<{ id: string }>(
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
      return rows[0] ? { owner: rows[0].id } : {};
    },

    async openHandoffTask({ handoff, owner, slaDueAt }) {
      const { rowCount } = await pool.query(
        `INSERT INTO handoffs (id, lead_id, status, owner, context, opened_at, sla_due_at)
         VALUES ($1, $2, 'open', $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
        [handoff.id, handoff.leadId, owner ?? null, handoff, new Date(handoff.at), new Date(slaDueAt)],
      );
      // Once per task: a retry finds it written.
      if (!rowCount) return;
      // The lead's latest event: the one that qualified it, when an event triggered the handoff.
      const speedToLead = (Date.now() - (handoff.path.at(-1)?.at ?? handoff.at)) / 1000;
      observeSpeedToLead(speedToLead);
      countHandoff('opened', { handoffId: handoff.id, leadId: handoff.leadId, owner: owner ?? null, reason: handoff.reason, speedToLead });
    },

    async notifyRep({ handoffId, leadId, owner, escalation, notifyManager }) {
      // The notice itself goes out through the channels; here it is recorded for the task's history.
      await recordActivity(pool, leadId, 'handoffNotified', Date.now(), { handoffId, owner: owner ?? null, escalation, notifyManager }, `${handoffId}/notified/${escalation}`);
    },

    async reassignHandoffTask({ handoffId, owner, escalations, slaDueAt }) {
      // Once per escalation: a retry finds it written.
      const { rowCount } = await pool.query(
        `UPDATE handoffs SET owner = $2, escalations = $3, sla_due_at = $4, updated_at = now() WHERE id = $1 AND status = 'open' AND escalations < $3`,
        [handoffId, owner ?? null, escalations, new Date(slaDueAt)],
      );
      if (rowCount) countHandoff('escalated', { handoffId, owner: owner ?? null, escalations });
    },

    async closeHandoffTask({ handoffId, status, reasonCode, note }) {
      const { rowCount } = await pool.query(
        `UPDATE handoffs SET status = $2, reason_code = $3, note = $4, closed_at = now(), updated_at = now() WHERE id = $1 AND status = 'open'`,
        [handoffId, status, reasonCode ?? null, note ?? null],
      );
      if (rowCount) countHandoff(status, { handoffId, ...(reasonCode ? { reasonCode } : {}) });
    },
  };
}
