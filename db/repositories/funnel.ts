// The funnel report: stage conversion by cohort of lead creation, time to handoff and the handoff
// SLA, holdout against treated conversion (lift), and per-step engagement. Computed in PostgreSQL
// from what the workers record (leads, stage_changes, handoffs, sends, events).
import { compareConversion, type ConversionComparison } from '../../core/model/statistics';
import type { Database } from '../pool';

export interface FunnelQuery {
  from: string;
  to: string;
  cohort: 'week' | 'month';
  by?: 'source' | 'sequence' | 'segment';
  /** Only the leads of this source, sequence (as grouped) or segment. */
  source?: string;
  sequence?: string;
  segment?: string;
}

/** The funnel's stages in order; a lead that reached a later one counts as having passed the earlier ones. */
const FUNNEL = ['lead', 'mql', 'sql', 'opportunity', 'customer'] as const;
/**
 * The sequence a lead is credited to: the one it was in when it reached its furthest stage (the
 * last it entered by then), as its current one is none once sales have it.
 */
export const SEQUENCE_AT_FURTHEST_STAGE = `(SELECT a.detail->>'sequenceId' FROM lead_activity a
     WHERE a.lead_id = l.id AND a.kind = 'enterSequence'
       AND a.at <= COALESCE((SELECT max(s.changed_at) FROM stage_changes s WHERE s.lead_id = l.id), 'infinity')
     ORDER BY a.at DESC LIMIT 1)`;
/** Each lead with a stage change: its furthest stage, as its place in FUNNEL (1-based; null when its changes name none of them). */
export const FURTHEST_STAGE = `SELECT s.lead_id, max(array_position(ARRAY['lead','mql','sql','opportunity','customer'], s.to_stage)) AS reached
     FROM stage_changes s GROUP BY s.lead_id`;
/** What a lead is grouped by. */
const GROUP_COLUMN = { source: 'l.source', sequence: SEQUENCE_AT_FURTHEST_STAGE, segment: 'l.segment' } as const;

export const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 1000 : null);

export async function funnelReport(db: Database, query: FunnelQuery) {
  // The group column comes from a closed enum, never from the request text.
  const group = query.by ? GROUP_COLUMN[query.by] : "'all'";
  const range = [query.from, query.to, query.source ?? null, query.segment ?? null, query.sequence ?? null];
  const cohortLeads = `
    SELECT l.id, l.created_at, l.holdout, date_trunc('${query.cohort}', l.created_at) AS cohort, COALESCE(${group}, 'unknown') AS grp, COALESCE(f.reached, 1) AS reached
    FROM leads l LEFT JOIN (${FURTHEST_STAGE}) f ON f.lead_id = l.id
    WHERE l.created_at >= $1 AND l.created_at < $2
      AND ($3::text IS NULL OR l.source = $3) AND ($4::text IS NULL OR l.segment = $4) AND ($5::text IS NULL OR ${GROUP_COLUMN.sequence} = $5)`;

  const [cohorts, handoffs, holdout, steps, stageTimes] = await Promise.all([
    db.query<{ cohort: Date; grp: string; leads: string; mql: string; sql: string; opportunity: string; customer: string }>(
      `WITH c AS (${cohortLeads})
       SELECT cohort, grp, count(*) AS leads,
              count(*) FILTER (WHERE reached >= 2) AS mql, count(*) FILTER (WHERE reached >= 3) AS sql,
              count(*) FILTER (WHERE reached >= 4) AS opportunity, count(*) FILTER (WHERE reached >= 5) AS customer
       FROM c GROUP BY cohort, grp ORDER BY cohort, grp`,
      range,
    ),
    db.query<{ handoffs: string; median_hours: number | null; answered: string; within_sla: string; median_answer_minutes: number | null }>(
      `WITH c AS (${cohortLeads}),
       first AS (SELECT DISTINCT ON (h.lead_id) h.lead_id, h.opened_at FROM handoffs h JOIN c ON c.id = h.lead_id ORDER BY h.lead_id, h.opened_at)
       SELECT (SELECT count(*) FROM handoffs h JOIN c ON c.id = h.lead_id) AS handoffs,
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first.opened_at - c.created_at) / 3600)
                 FROM first JOIN c ON c.id = first.lead_id) AS median_hours,
              (SELECT count(*) FROM handoffs h JOIN c ON c.id = h.lead_id WHERE h.status <> 'open') AS answered,
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM h.closed_at - h.opened_at) / 60)
                 FROM handoffs h JOIN c ON c.id = h.lead_id WHERE h.status IN ('accepted', 'rejected', 'meeting_booked')) AS median_answer_minutes,
              (SELECT count(*) FROM handoffs h JOIN c ON c.id = h.lead_id
                 WHERE h.status IN ('accepted', 'rejected', 'meeting_booked') AND h.escalations = 0) AS within_sla`,
      range,
    ),
    db.query<{ holdout: boolean; leads: string; converted: string }>(
      `WITH c AS (${cohortLeads}) SELECT holdout, count(*) AS leads, count(*) FILTER (WHERE reached >= 3) AS converted FROM c GROUP BY holdout`,
      range,
    ),
    db.query<{ sequence_id: string; step_id: string; sent: string; opened: string; clicked: string; replied: string }>(
      // Every send's engagement in one pass over the events that name a send, not a lookup per send.
      `WITH c AS (${cohortLeads}),
       engaged AS (SELECT e.lead_id, e.properties->>'sendId' AS send_id, bool_or(e.type = 'email_open') AS opened, bool_or(e.type = 'email_click') AS clicked,
                          bool_or(e.type IN ('email_reply', 'sms_reply')) AS replied
                   FROM events e WHERE e.properties->>'sendId' IS NOT NULL AND e.type IN ('email_open', 'email_click', 'email_reply', 'sms_reply') GROUP BY 1, 2)
       SELECT s.sequence_id, s.step_id, count(*) AS sent,
              count(*) FILTER (WHERE g.opened) AS opened, count(*) FILTER (WHERE g.clicked) AS clicked, count(*) FILTER (WHERE g.replied) AS replied
       FROM sends s JOIN c ON c.id = s.lead_id LEFT JOIN engaged g ON g.lead_id = s.lead_id AND g.send_id = s.idempotency_key
       WHERE s.status = 'sent'
       GROUP BY s.sequence_id, s.step_id ORDER BY s.sequence_id, s.step_id`,
      range,
    ),
    // From entering one stage to entering the next, for the leads that made that move.
    db.query<{ move: string; median_hours: number; n: number }>(
      `WITH c AS (${cohortLeads}),
       entered AS (SELECT c.id, c.created_at AS lead_at, t.mql_at, t.sql_at, t.opportunity_at, t.customer_at
                   FROM c LEFT JOIN (SELECT s.lead_id, min(s.changed_at) FILTER (WHERE s.to_stage = 'mql') AS mql_at, min(s.changed_at) FILTER (WHERE s.to_stage = 'sql') AS sql_at,
                                            min(s.changed_at) FILTER (WHERE s.to_stage = 'opportunity') AS opportunity_at, min(s.changed_at) FILTER (WHERE s.to_stage = 'customer') AS customer_at
                                     FROM stage_changes s GROUP BY s.lead_id) t ON t.lead_id = c.id),
       moves AS (SELECT 'leadToMql' AS move, extract(epoch FROM mql_at - lead_at) / 3600 AS hours FROM entered WHERE mql_at IS NOT NULL
                 UNION ALL SELECT 'mqlToSql', extract(epoch FROM sql_at - mql_at) / 3600 FROM entered WHERE sql_at IS NOT NULL AND mql_at IS NOT NULL
                 UNION ALL SELECT 'sqlToOpportunity', extract(epoch FROM opportunity_at - sql_at) / 3600 FROM entered WHERE opportunity_at IS NOT NULL AND sql_at IS NOT NULL
                 UNION ALL SELECT 'opportunityToCustomer', extract(epoch FROM customer_at - opportunity_at) / 3600 FROM entered WHERE customer_at IS NOT NULL AND opportunity_at IS NOT NULL)
       SELECT move, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median_hours, count(*)::int AS n FROM moves GROUP BY move`,
      range,
    ),
  ]);
  const stageTime = (move: string) => {
    const row = stageTimes.rows.find((r) => r.move === move);
    return { medianHours: row ? Math.round(row.median_hours * 100) / 100 : null, n: row?.n ?? 0 };
  };

  const arm = (isHoldout: boolean) => {
    const row = holdout.rows.find((r) => r.holdout === isHoldout);
    const leads = Number(row?.leads ?? 0);
    const converted = Number(row?.converted ?? 0);
    return { leads, converted, conversion: rate(converted, leads) };
  };
  const treated = arm(false);
  const control = arm(true);
  const h = handoffs.rows[0]!;
  return {
    from: query.from,
    to: query.to,
    cohort: query.cohort,
    by: query.by ?? null,
    filter: { source: query.source ?? null, sequence: query.sequence ?? null, segment: query.segment ?? null },
    stages: FUNNEL,
    cohorts: cohorts.rows.map((row) => {
      const counts = { lead: Number(row.leads), mql: Number(row.mql), sql: Number(row.sql), opportunity: Number(row.opportunity), customer: Number(row.customer) };
      return {
        cohort: row.cohort.toISOString(),
        group: row.grp,
        counts,
        conversion: {
          leadToMql: rate(counts.mql, counts.lead),
          mqlToSql: rate(counts.sql, counts.mql),
          sqlToOpportunity: rate(counts.opportunity, counts.sql),
          opportunityToCustomer: rate(counts.customer, counts.opportunity),
        },
      };
    }),
    // The median time from entering a stage to entering the next, and how many leads made that move.
    stageTimes: {
      leadToMql: stageTime('leadToMql'),
      mqlToSql: stageTime('mqlToSql'),
      sqlToOpportunity: stageTime('sqlToOpportunity'),
      opportunityToCustomer: stageTime('opportunityToCustomer'),
    },
    handoffs: {
      total: Number(h.handoffs),
      answered: Number(h.answered),
      medianHoursToHandoff: h.median_hours === null ? null : Math.round(h.median_hours * 100) / 100,
      // Speed to lead: from the handoff to the rep's answer (accepted, rejected or meeting booked).
      medianMinutesToAnswer: h.median_answer_minutes === null ? null : Math.round(h.median_answer_minutes * 10) / 10,
      slaHitRate: rate(Number(h.within_sla), Number(h.answered)),
    },
    // Treated against holdout conversion to SQL or beyond: the lift, relative and absolute, with 95% intervals.
    holdout: { treated, holdout: control, ...roundedComparison(compareConversion(treated, control)) },
    steps: steps.rows.map((row) => ({
      sequenceId: row.sequence_id,
      stepId: row.step_id,
      sent: Number(row.sent),
      openRate: rate(Number(row.opened), Number(row.sent)),
      clickRate: rate(Number(row.clicked), Number(row.sent)),
      replyRate: rate(Number(row.replied), Number(row.sent)),
    })),
  };
}

export function roundedComparison(comparison: ConversionComparison) {
  const round = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 1000);
  const interval = (bounds: [number, number] | null) => (bounds ? bounds.map(round) : null);
  return {
    lift: round(comparison.lift),
    liftInterval: interval(comparison.liftInterval),
    difference: round(comparison.difference),
    differenceInterval: interval(comparison.differenceInterval),
    pValue: comparison.pValue === null ? null : Number(comparison.pValue.toPrecision(3)),
    enoughData: comparison.enoughData,
    confidence: comparison.confidence,
  };
}
