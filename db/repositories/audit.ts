// The lead's audit trail: every stage change, and why the engine did what it did (sequence entries
// and exits, deferred and skipped touches, consent changes, handoff notices). Writes are keyed, so
// an activity retry writes each row once.
import { createHash } from 'node:crypto';
import type { Decision } from '../../core/protocol';
import type { Database } from '../pool';

type StageChange = Extract<Decision, { type: 'changeStage' }>;

/** True when the change is new. */
export async function recordStageChange(db: Database, leadId: string, change: StageChange): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO stage_changes (idempotency_key, lead_id, from_stage, to_stage, reason, changed_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING`,
    [`${leadId}/${change.at}/${change.to}`, leadId, change.from, change.to, change.reason, new Date(change.at)],
  );
  return Boolean(rowCount);
}

export async function stageHistory(db: Database, leadId: string): Promise<{ from: string | null; to: string; reason: string; at: Date }[]> {
  const { rows } = await db.query('SELECT from_stage AS "from", to_stage AS "to", reason, changed_at AS at FROM stage_changes WHERE lead_id = $1 ORDER BY changed_at', [leadId]);
  return rows;
}

/**
 * One row of the audit trail. The key defaults to one derived from the row itself, so an activity
 * retry writes it once; pass one when the row's time is not part of its identity.
 */
export async function recordActivity(
  db: Database,
  leadId: string,
  kind: string,
  at: number,
  detail: Record<string, unknown>,
  idempotencyKey = `${leadId}/${at}/${kind}/${createHash('sha256').update(JSON.stringify(detail)).digest('base64url').slice(0, 22)}`,
): Promise<void> {
  await db.query(
    `INSERT INTO lead_activity (idempotency_key, lead_id, kind, detail, at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [idempotencyKey, leadId, kind, detail, new Date(at)],
  );
}
