// A/B test results: per experiment and variant, the leads exposed (their first send of a message
// test, their first start of a wait test), how they engaged with that send (with any send within the
// window, for a wait), and how many converted within the window after the exposure;
// each variant compared with the first of its step's variants (the control) on the chosen metric.
import type { ExperimentMetric } from '../../core/model/sequence';
import { compareConversion } from '../../core/model/statistics';
import type { Database } from '../pool';
import { rate, roundedComparison } from './funnel';
import { findVersions } from './sequenceVersions';

interface VariantRow {
  experiment_id: string;
  variant: string;
  sequence_version: string;
  exposures: number;
  opened: number;
  clicked: number;
  replied: number;
  mql: number;
  sql: number;
  opportunity: number;
}

const REACHED = { mql: ['mql', 'sql', 'opportunity', 'customer'], sql: ['sql', 'opportunity', 'customer'], opportunity: ['opportunity', 'customer'] };

export async function experimentResults(db: Database, query: { experiment?: string; metric: ExperimentMetric; windowDays: number }) {
  // A message test's engagement is with the send that exposed the lead; a wait test's, with any send within the window.
  const engaged = (types: string[]) =>
    `count(*) FILTER (WHERE EXISTS (SELECT 1 FROM events e WHERE e.lead_id = x.lead_id AND e.type IN (${types.map((type) => `'${type}'`).join(', ')})
       AND CASE WHEN x.idempotency_key IS NULL THEN e.occurred_at >= x.exposed_at AND e.occurred_at < x.exposed_at + make_interval(days => $2)
                ELSE e.properties->>'sendId' = x.idempotency_key END))::int`;
  const converted = (stages: string[]) =>
    `count(*) FILTER (WHERE EXISTS (SELECT 1 FROM stage_changes c WHERE c.lead_id = x.lead_id AND c.to_stage = ANY('{${stages.join(',')}}') AND c.changed_at >= x.exposed_at AND c.changed_at < x.exposed_at + make_interval(days => $2)))::int`;
  const { rows } = await db.query<VariantRow>(
    `WITH exposures AS (
       SELECT s.experiment_id, s.variant, s.sequence_version, s.lead_id, s.idempotency_key, s.claimed_at AS exposed_at
         FROM sends s
        WHERE s.experiment_id IS NOT NULL AND s.status = 'sent' AND ($1::text IS NULL OR s.experiment_id = $1)
       UNION ALL
       SELECT a.detail->>'experimentId', a.detail->>'variant', a.detail->>'version', a.lead_id, NULL, a.at
         FROM lead_activity a
        WHERE a.kind = 'exposed' AND ($1::text IS NULL OR a.detail->>'experimentId' = $1)),
     x AS (SELECT DISTINCT ON (experiment_id, lead_id) * FROM exposures ORDER BY experiment_id, lead_id, exposed_at)
     SELECT x.experiment_id, x.variant, max(x.sequence_version) AS sequence_version, count(*)::int AS exposures,
            ${engaged(['email_open'])} AS opened, ${engaged(['email_click'])} AS clicked, ${engaged(['email_reply', 'sms_reply'])} AS replied,
            ${converted(REACHED.mql)} AS mql, ${converted(REACHED.sql)} AS sql, ${converted(REACHED.opportunity)} AS opportunity
       FROM x GROUP BY x.experiment_id, x.variant ORDER BY x.experiment_id, x.variant`,
    [query.experiment ?? null, query.windowDays],
  );
  const definitions = await findVersions(db, [...new Set(rows.map((row) => row.sequence_version))]);
  const experiments = new Map<string, VariantRow[]>();
  for (const row of rows) experiments.set(row.experiment_id, [...(experiments.get(row.experiment_id) ?? []), row]);
  return [...experiments].map(([id, variants]) => {
    const [sequenceId, stepId] = id.split('/') as [string, string];
    // The control is the step's first variant, as its sequence defines them.
    const step = definitions[variants[0]!.sequence_version]?.steps.find((candidate) => candidate.id === stepId);
    const order = step && 'variants' in step ? (step.variants ?? []).map((variant) => variant.id) : [];
    const ranked = [...variants].sort((a, b) => rank(order, a.variant) - rank(order, b.variant));
    const control = ranked[0]!;
    return {
      id,
      sequenceId,
      stepId,
      metric: query.metric,
      windowDays: query.windowDays,
      control: control.variant,
      variants: ranked.map((row) => ({
        id: row.variant,
        exposures: row.exposures,
        counts: { opened: row.opened, clicked: row.clicked, replied: row.replied, mql: row.mql, sql: row.sql, opportunity: row.opportunity },
        rate: rate(row[query.metric], row.exposures),
        versusControl: row === control ? null : roundedComparison(compareConversion({ leads: row.exposures, converted: row[query.metric] }, { leads: control.exposures, converted: control[query.metric] })),
      })),
    };
  });
}

const rank = (order: string[], id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
