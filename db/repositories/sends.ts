// The sends ledger: one row per touch under its idempotency key, claimed before the provider call
// and marked after, so a retried activity or a replayed command never reaches the provider twice.
// The window that remains: a worker that dies after the provider accepted a message and before the
// row is marked sends it again on retry (the Message-ID stays the same, so mail systems can tell).
import type { Touch } from '../../core/protocol';
import type { Database } from '../pool';

export type LedgerStatus = 'claimed' | 'sent' | 'failed' | 'suppressed';

export interface Claim {
  /** True when this attempt owns the send: new, or left claimed by an attempt that died. */
  mayDeliver: boolean;
  status: LedgerStatus;
  error?: string;
}

export async function claimSend(db: Database, workflowId: string, touch: Touch, sent: { links?: string[]; recipient?: string } = {}): Promise<Claim> {
  const inserted = await db.query(
    `INSERT INTO sends (idempotency_key, lead_id, workflow_id, sequence_id, sequence_version, step_id, touch_number, channel, template, status, reason, links, recipient, experiment_id, variant)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'claimed', $10, $11, $12, $13, $14)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [
      touch.idempotencyKey,
      touch.leadId,
      workflowId,
      touch.sequenceId,
      touch.sequenceVersion,
      touch.stepId,
      touch.touchNumber,
      touch.channel,
      touch.template ?? null,
      touch.why,
      JSON.stringify(sent.links ?? []),
      sent.recipient ?? null,
      touch.experiment?.id ?? null,
      touch.experiment?.variant ?? null,
    ],
  );
  if (inserted.rowCount === 1) return { mayDeliver: true, status: 'claimed' };
  const { rows } = await db.query<{ status: LedgerStatus; error: string | null }>('SELECT status, error FROM sends WHERE idempotency_key = $1', [touch.idempotencyKey]);
  const status = rows[0]!.status;
  return { mayDeliver: status === 'claimed', status, ...(rows[0]!.error ? { error: rows[0]!.error } : {}) };
}

export async function markSend(db: Database, idempotencyKey: string, status: Exclude<LedgerStatus, 'claimed'>, detail: { providerId?: string; error?: string } = {}): Promise<void> {
  await db.query('UPDATE sends SET status = $2, provider_id = $3, error = $4, completed_at = now() WHERE idempotency_key = $1', [
    idempotencyKey,
    status,
    detail.providerId ?? null,
    detail.error ?? null,
  ]);
}

/** The URLs recorded for a send: the only places its click redirects may lead. */
export async function recordedLinks(db: Database, idempotencyKey: string): Promise<string[] | undefined> {
  const { rows } = await db.query<{ links: string[] }>('SELECT links FROM sends WHERE idempotency_key = $1', [idempotencyKey]);
  return rows[0]?.links;
}

/** The provider's later word on a send, from a status callback. */
export interface DeliveryStatus {
  idempotencyKey: string;
  leadId: string;
  status: string;
  error?: string;
  /** False when the callback came late: a final status already stood, and still does. */
  changed: boolean;
}

/**
 * Records a status callback. Callbacks may arrive out of order, so a final status (delivered,
 * undelivered, failed) is never replaced. Undefined when no send has this provider id.
 */
export async function recordDeliveryStatus(db: Database, channel: string, providerId: string, status: string, error?: string): Promise<DeliveryStatus | undefined> {
  const { rows } = await db.query<{ idempotency_key: string; lead_id: string; delivery_status: string; delivery_error: string | null; changed: boolean }>(
    `WITH updated AS (
       UPDATE sends SET delivery_status = $3, delivery_error = $4, delivery_updated_at = now()
       WHERE channel = $1 AND provider_id = $2 AND (delivery_status IS NULL OR delivery_status NOT IN ('delivered', 'undelivered', 'failed'))
       RETURNING idempotency_key, lead_id, delivery_status, delivery_error
     )
     SELECT *, true AS changed FROM updated
     UNION ALL
     SELECT idempotency_key, lead_id, delivery_status, delivery_error, false FROM sends
     WHERE channel = $1 AND provider_id = $2 AND NOT EXISTS (SELECT 1 FROM updated)`,
    [channel, providerId, status, error ?? null],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { idempotencyKey: row.idempotency_key, leadId: row.lead_id, status: row.delivery_status, ...(row.delivery_error ? { error: row.delivery_error } : {}), changed: row.changed };
}

/** The lead's latest sends, newest first, as the API shows them. */
export async function recentSends(db: Database, leadId: string, limit = 20): Promise<Record<string, unknown>[]> {
  const { rows } = await db.query(
    'SELECT idempotency_key AS "idempotencyKey", channel, template, status, sequence_id AS "sequenceId", step_id AS "stepId", claimed_at AS at FROM sends WHERE lead_id = $1 ORDER BY id DESC LIMIT $2',
    [leadId, limit],
  );
  return rows;
}

export interface EmailEngagement {
  template: string;
  status: string;
  at: Date;
  opens: number;
  clicks: number;
  replies: number;
}

/** The lead's latest emails, newest first, each with how often it was opened, clicked and replied to. */
export async function emailEngagement(db: Database, leadId: string, limit = 10): Promise<EmailEngagement[]> {
  const { rows } = await db.query<EmailEngagement>(
    `SELECT s.template, s.status, s.claimed_at AS at,
            count(*) FILTER (WHERE e.type = 'email_open')::int AS opens,
            count(*) FILTER (WHERE e.type = 'email_click')::int AS clicks,
            count(*) FILTER (WHERE e.type = 'email_reply')::int AS replies
     FROM sends s LEFT JOIN events e ON e.lead_id = s.lead_id AND e.properties->>'sendId' = s.idempotency_key
     WHERE s.lead_id = $1 AND s.channel = 'email'
     GROUP BY s.id ORDER BY s.id DESC LIMIT $2`,
    [leadId, limit],
  );
  return rows;
}
