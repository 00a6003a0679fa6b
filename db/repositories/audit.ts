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

export interface TimelineEntry {
  at: Date;
  /** `event`, `stageChange`, `touch` (sent, failed or suppressed), `consent`, `handoffOpened`, `handoffClosed`, or an audit kind (`enterSequence`, `touchDeferred`, `touchSkipped`, ...). */
  kind: string;
  detail: Record<string, unknown>;
}

/**
 * Everything that happened to the lead, oldest first: its events, the engine's decisions with their
 * reasons, every touch with why it went out (rule, score parts, tier, caps), stage and consent
 * changes, and its handoffs; a page of `limit` entries from `offset` on.
 */
export async function leadTimeline(db: Database, leadId: string, limit: number, offset = 0): Promise<TimelineEntry[]> {
  const { rows } = await db.query<TimelineEntry>(
    `SELECT at, kind, detail FROM (
       SELECT occurred_at AS at, 'event' AS kind, jsonb_build_object('type', type, 'eventId', event_id, 'properties', properties) AS detail FROM events WHERE lead_id = $1
       UNION ALL SELECT at, kind, detail FROM lead_activity WHERE lead_id = $1
       UNION ALL SELECT changed_at, 'stageChange', jsonb_build_object('from', from_stage, 'to', to_stage, 'reason', reason) FROM stage_changes WHERE lead_id = $1
       UNION ALL SELECT claimed_at, 'touch', jsonb_strip_nulls(jsonb_build_object('status', status, 'channel', channel, 'sequenceId', sequence_id, 'version', sequence_version,
           'stepId', step_id, 'template', template, 'experiment', experiment_id, 'variant', variant, 'why', reason, 'error', error)) FROM sends WHERE lead_id = $1
       UNION ALL SELECT at, 'consent', jsonb_build_object('channel', channel, 'granted', granted, 'source', source) FROM consent_records WHERE lead_id = $1
       UNION ALL SELECT opened_at, 'handoffOpened', jsonb_strip_nulls(jsonb_build_object('handoffId', id, 'owner', owner)) FROM handoffs WHERE lead_id = $1
       UNION ALL SELECT closed_at, 'handoffClosed', jsonb_strip_nulls(jsonb_build_object('handoffId', id, 'status', status, 'reasonCode', reason_code)) FROM handoffs WHERE lead_id = $1 AND closed_at IS NOT NULL
     ) timeline ORDER BY at, kind, detail::text OFFSET $2 LIMIT $3`,
    [leadId, offset, limit],
  );
  return rows;
}
