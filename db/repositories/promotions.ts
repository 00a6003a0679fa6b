// Winners of A/B tests that their own rule chose: written once per experiment, by whichever lead
// worker saw the rule hold first; read by every lead worker to build its catalog, and by the results.
import type { ArmResult } from '../../core/model/experiments';
import type { PromotionRule } from '../../core/model/sequence';
import type { Database } from '../pool';

export interface RulePromotion {
  experimentId: string;
  variant: string;
  rule: PromotionRule;
  results: ArmResult[];
  promotedAt: string;
}

/** Records the rule's winner; false when another worker recorded one for the experiment first. */
export async function recordRulePromotion(db: Database, promotion: Omit<RulePromotion, 'promotedAt'>): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO experiment_promotions (experiment_id, variant, rule, results) VALUES ($1, $2, $3, $4) ON CONFLICT (experiment_id) DO NOTHING`,
    [promotion.experimentId, promotion.variant, JSON.stringify(promotion.rule), JSON.stringify(promotion.results)],
  );
  return rowCount === 1;
}

export async function findRulePromotions(db: Database): Promise<RulePromotion[]> {
  const { rows } = await db.query<{ experiment_id: string; variant: string; rule: PromotionRule; results: ArmResult[]; promoted_at: Date }>(
    'SELECT experiment_id, variant, rule, results, promoted_at FROM experiment_promotions ORDER BY experiment_id',
  );
  return rows.map((row) => ({ experimentId: row.experiment_id, variant: row.variant, rule: row.rule, results: row.results, promotedAt: row.promoted_at.toISOString() }));
}
