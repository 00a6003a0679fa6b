// What each sequence does to whom: per step, the touches sent, failed and suppressed, deferred and
// skipped (with their reasons), opens, clicks and replies; where its leads are now (the step of
// their latest touch); its versions with the leads on each; and the conversions it is credited with.
import type { Database } from '../pool';
import { FURTHEST_STAGE, rate, SEQUENCE_AT_FURTHEST_STAGE } from './funnel';

export interface StepStats {
  stepId: string;
  sent: number;
  failed: number;
  suppressed: number;
  deferred: number;
  skipped: number;
  /** Why touches were deferred or skipped, each reason with its count. */
  reasons: { outcome: 'deferred' | 'skipped'; reason: string; n: number }[];
  opened: number;
  clicked: number;
  replied: number;
  /** Rates over `sent`. */
  openRate: number | null;
  clickRate: number | null;
  replyRate: number | null;
  /** Leads in the sequence now whose latest touch was this step's. */
  leadsHere: number;
}

export interface SequenceStats {
  sequenceId: string;
  /** Leads in the sequence now (not erased). */
  leadsNow: number;
  /** Leads in the sequence now that it has not touched yet. */
  leadsNotYetTouched: number;
  steps: StepStats[];
  versions: { version: string; publishedAt: string; leadsNow: number }[];
  /** Leads credited to the sequence (it was theirs when they reached their furthest stage), by the furthest stage. */
  conversions: { leads: number; mql: number; sql: number; opportunity: number; customer: number };
}

const count = (value: unknown) => Number(value ?? 0);

export async function sequenceStats(db: Database, sequenceId: string): Promise<SequenceStats> {
  const [sends, audit, here, versions, credited] = await Promise.all([
    db.query(
      `SELECT s.step_id,
              count(*) FILTER (WHERE s.status = 'sent') AS sent, count(*) FILTER (WHERE s.status = 'failed') AS failed,
              count(*) FILTER (WHERE s.status = 'suppressed') AS suppressed,
              count(*) FILTER (WHERE s.status = 'sent' AND EXISTS (SELECT 1 FROM events e WHERE e.lead_id = s.lead_id AND e.type = 'email_open' AND e.properties->>'sendId' = s.idempotency_key)) AS opened,
              count(*) FILTER (WHERE s.status = 'sent' AND EXISTS (SELECT 1 FROM events e WHERE e.lead_id = s.lead_id AND e.type = 'email_click' AND e.properties->>'sendId' = s.idempotency_key)) AS clicked,
              count(*) FILTER (WHERE s.status = 'sent' AND EXISTS (SELECT 1 FROM events e WHERE e.lead_id = s.lead_id AND e.type IN ('email_reply', 'sms_reply') AND e.properties->>'sendId' = s.idempotency_key)) AS replied
       FROM sends s WHERE s.sequence_id = $1 GROUP BY s.step_id`,
      [sequenceId],
    ),
    // A deferral names every reason it waited for; a skip names one.
    db.query(
      `SELECT a.detail->>'stepId' AS step_id, a.kind, reason, count(*) AS n
       FROM lead_activity a
       CROSS JOIN LATERAL (SELECT jsonb_array_elements_text(a.detail->'reasons') AS reason WHERE a.kind = 'touchDeferred'
                           UNION ALL SELECT a.detail->>'reason' WHERE a.kind = 'touchSkipped') r
       WHERE a.kind IN ('touchDeferred', 'touchSkipped') AND a.detail->>'sequenceId' = $1
       GROUP BY 1, 2, 3`,
      [sequenceId],
    ),
    db.query(
      `SELECT step_id, count(*) AS n FROM (
         SELECT (SELECT t.step_id FROM (
                   SELECT s.step_id, s.claimed_at AS at FROM sends s WHERE s.lead_id = l.id AND s.sequence_id = $1
                   UNION ALL SELECT a.detail->>'stepId', a.at FROM lead_activity a
                     WHERE a.lead_id = l.id AND a.kind IN ('touchDeferred', 'touchSkipped') AND a.detail->>'sequenceId' = $1
                 ) t ORDER BY t.at DESC LIMIT 1) AS step_id
         FROM leads l WHERE l.sequence_id = $1 AND l.erased_at IS NULL) latest
       GROUP BY step_id`,
      [sequenceId],
    ),
    db.query(
      `SELECT v.version, v.published_at, count(l.id) AS leads_now
       FROM sequence_versions v
       LEFT JOIN leads l ON l.sequence_id = $1 AND l.erased_at IS NULL
         AND (SELECT a.detail->>'version' FROM lead_activity a
              WHERE a.lead_id = l.id AND a.kind = 'enterSequence' AND a.detail->>'sequenceId' = $1 ORDER BY a.at DESC LIMIT 1) = v.version
       WHERE v.sequence_id = $1 GROUP BY v.version, v.published_at ORDER BY v.published_at DESC`,
      [sequenceId],
    ),
    db.query(
      `WITH credited AS (
         SELECT COALESCE(f.reached, 1) AS reached
         FROM leads l LEFT JOIN (${FURTHEST_STAGE}) f ON f.lead_id = l.id
         WHERE l.id IN (SELECT a.lead_id FROM lead_activity a WHERE a.kind = 'enterSequence' AND a.detail->>'sequenceId' = $1)
           AND ${SEQUENCE_AT_FURTHEST_STAGE} = $1)
       SELECT count(*) AS leads, count(*) FILTER (WHERE reached >= 2) AS mql, count(*) FILTER (WHERE reached >= 3) AS sql,
              count(*) FILTER (WHERE reached >= 4) AS opportunity, count(*) FILTER (WHERE reached >= 5) AS customer
       FROM credited`,
      [sequenceId],
    ),
  ]);

  const stepIds = new Set<string>([...sends.rows, ...audit.rows, ...here.rows].map((row) => row.step_id).filter((id): id is string => typeof id === 'string'));
  const steps = [...stepIds].map((stepId): StepStats => {
    const sent = sends.rows.find((row) => row.step_id === stepId) ?? {};
    const reasons = audit.rows
      .filter((row) => row.step_id === stepId)
      .map((row) => ({ outcome: row.kind === 'touchDeferred' ? ('deferred' as const) : ('skipped' as const), reason: String(row.reason), n: count(row.n) }))
      .sort((a, b) => b.n - a.n);
    const total = (outcome: 'deferred' | 'skipped') => reasons.filter((r) => r.outcome === outcome).reduce((sum, r) => sum + r.n, 0);
    return {
      stepId,
      sent: count(sent.sent),
      failed: count(sent.failed),
      suppressed: count(sent.suppressed),
      deferred: total('deferred'),
      skipped: total('skipped'),
      reasons,
      opened: count(sent.opened),
      clicked: count(sent.clicked),
      replied: count(sent.replied),
      openRate: rate(count(sent.opened), count(sent.sent)),
      clickRate: rate(count(sent.clicked), count(sent.sent)),
      replyRate: rate(count(sent.replied), count(sent.sent)),
      leadsHere: count(here.rows.find((row) => row.step_id === stepId)?.n),
    };
  });
  const c = credited.rows[0] ?? {};
  return {
    sequenceId,
    leadsNow: here.rows.reduce((sum, row) => sum + count(row.n), 0),
    leadsNotYetTouched: count(here.rows.find((row) => row.step_id === null)?.n),
    steps,
    versions: versions.rows.map((row) => ({ version: row.version, publishedAt: (row.published_at as Date).toISOString(), leadsNow: count(row.leads_now) })),
    conversions: { leads: count(c.leads), mql: count(c.mql), sql: count(c.sql), opportunity: count(c.opportunity), customer: count(c.customer) },
  };
}

/** Per sequence: leads in it now and touches sent, for the list of sequences. */
export async function sequenceTotals(db: Database): Promise<Record<string, { leadsNow: number; sent: number }>> {
  const { rows } = await db.query<{ sequence_id: string; leads_now: string; sent: string }>(
    `SELECT sequence_id, sum(leads_now) AS leads_now, sum(sent) AS sent FROM (
       SELECT sequence_id, count(*) AS leads_now, 0 AS sent FROM leads WHERE erased_at IS NULL AND sequence_id IS NOT NULL GROUP BY sequence_id
       UNION ALL SELECT sequence_id, 0, count(*) FROM sends WHERE status = 'sent' GROUP BY sequence_id) t
     GROUP BY sequence_id`,
  );
  return Object.fromEntries(rows.map((row) => [row.sequence_id, { leadsNow: count(row.leads_now), sent: count(row.sent) }]));
}
