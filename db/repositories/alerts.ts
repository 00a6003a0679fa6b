// The ledger of sales alerts: one row per alert (handoff, round, rep, channel), claimed before it is
// sent and marked after, so an activity retried after a crash never alerts twice.
import type { Database } from '../pool';

export interface AlertClaim {
  key: string;
  handoffId: string;
  rep: string;
  kind: 'assigned' | 'breach';
  channel: 'email' | 'sms' | 'webhook';
}

/** True when this call claimed the alert and may send it; false when it was claimed or sent before. */
export async function claimAlert(db: Database, alert: AlertClaim): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO alerts (idempotency_key, handoff_id, rep, kind, channel, status) VALUES ($1, $2, $3, $4, $5, 'claimed') ON CONFLICT (idempotency_key) DO NOTHING`,
    [alert.key, alert.handoffId, alert.rep, alert.kind, alert.channel],
  );
  if (rowCount) return true;
  // A claim left by an attempt that crashed before sending may be retried; a sent one may not.
  const { rows } = await db.query<{ status: string }>('SELECT status FROM alerts WHERE idempotency_key = $1', [alert.key]);
  return rows[0]?.status === 'claimed';
}

export async function markAlert(db: Database, key: string, status: 'sent' | 'failed', detail: { providerId?: string; error?: string } = {}): Promise<void> {
  await db.query('UPDATE alerts SET status = $2, provider_id = $3, error = $4, completed_at = now() WHERE idempotency_key = $1', [key, status, detail.providerId ?? null, detail.error ?? null]);
}

/** The alerts of a task, oldest first: who was told, how, and whether it went out. */
export async function alertsOf(db: Database, handoffId: string): Promise<{ rep: string; kind: string; channel: string; status: string; at: string }[]> {
  const { rows } = await db.query<{ rep: string; kind: string; channel: string; status: string; claimed_at: Date }>(
    'SELECT rep, kind, channel, status, claimed_at FROM alerts WHERE handoff_id = $1 ORDER BY claimed_at, idempotency_key',
    [handoffId],
  );
  return rows.map(({ claimed_at, ...alert }) => ({ ...alert, at: claimed_at.toISOString() }));
}
