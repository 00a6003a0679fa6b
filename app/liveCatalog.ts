// The catalog a lead worker runs on, and A/B tests that end by their own rule (`promote` on the
// step): the worker checks each rule every NURTURE_PROMOTION_INTERVAL, records a winner once in
// PostgreSQL (whichever worker sees it first), and moves onto the catalog with every recorded winner
// made its step, published as the live version. New leads start on it; running leads load it at
// their next wake-up and move onto a changed sequence as its `migration` says.
import type { Pool } from 'pg';
import { catalogFingerprint, type CatalogSnapshot } from '../core/catalogDiff';
import { experimentId, winnerByRule } from '../core/model/experiments';
import type { PromotionRule, Variant } from '../core/model/sequence';
import type { Catalog } from '../core/protocol';
import { publishCatalog } from '../db/repositories/catalogVersions';
import { experimentResults } from '../db/repositories/experiments';
import { findRulePromotions, recordRulePromotion, type RulePromotion } from '../db/repositories/promotions';
import { publishVersions } from '../db/repositories/sequenceVersions';
import { catalogSnapshot, snapshotVersion, withPromotions } from '../sequences/catalog';
import { loadTemplates } from '../channels/templates';
import { TEMPLATES_DIR } from '../sequences/library';

/** The catalog with the templates under `templatesDir` (the shipped library's by default), as a version. */
export function catalogSnapshotOf(catalog: Catalog, templatesDir = TEMPLATES_DIR): CatalogSnapshot {
  return catalogSnapshot(catalog, loadTemplates(templatesDir));
}

/** The catalog with every winner a rule recorded made its step: what the lead workers run on. */
export async function withRulePromotions(pool: Pool, catalog: Catalog): Promise<{ catalog: Catalog; promotions: RulePromotion[] }> {
  const promotions = await findRulePromotions(pool);
  return { catalog: withPromotions(catalog, Object.fromEntries(promotions.map((promotion) => [promotion.experimentId, promotion.variant]))), promotions };
}

/** Records every sequence version of the catalog, and the catalog itself as the live version (`nurture diff` compares with it). */
async function publishLiveCatalog(pool: Pool, catalog: Catalog): Promise<void> {
  await publishVersions(pool, catalog.versions);
  const snapshot = catalogSnapshotOf(catalog);
  await publishCatalog(pool, snapshotVersion(snapshot), snapshot);
}

interface RuledExperiment {
  id: string;
  rule: PromotionRule;
  variants: readonly Variant[];
}

export class LiveCatalog {
  private catalog: Catalog;
  /** The fingerprint of the catalog last published as the live version. */
  private published?: string;

  constructor(
    private readonly pool: Pool,
    /** The catalog in the code, before any rule promoted a variant. */
    private readonly base: Catalog,
  ) {
    this.catalog = base;
  }

  readonly current = (): Catalog => this.catalog;

  /**
   * Records the winner of every rule that holds now, then moves onto the catalog with every
   * recorded winner made its step, publishing it when it is not the live version yet; returns this
   * catalog's experiments promoted when the catalog changed.
   */
  async check(): Promise<string[]> {
    for (const experiment of ruledExperiments(this.catalog)) {
      const [result] = await experimentResults(this.pool, { experiment: experiment.id, metric: experiment.rule.metric, windowDays: experiment.rule.windowDays });
      const arms = (result?.variants ?? []).map((variant) => ({ id: variant.id, exposures: variant.exposures, converted: variant.counts[experiment.rule.metric] }));
      const winner = winnerByRule(experiment.rule, experiment.variants, arms);
      if (winner) await recordRulePromotion(this.pool, { experimentId: experiment.id, variant: winner, rule: experiment.rule, results: arms });
    }
    const { catalog: next, promotions } = await withRulePromotions(this.pool, this.base);
    const ours = new Set(ruledExperiments(this.base).map((experiment) => experiment.id));
    const version = catalogFingerprint(next);
    if (version === this.published) return [];
    await publishLiveCatalog(this.pool, next);
    const changed = version !== catalogFingerprint(this.catalog);
    this.catalog = next;
    this.published = version;
    return changed ? promotions.filter((promotion) => ours.has(promotion.experimentId)).map((promotion) => `${promotion.experimentId}: ${promotion.variant}`) : [];
  }

  /** Checks every `intervalMs` until the returned function is called. */
  checkEvery(intervalMs: number, onError: (err: Error) => void, onPromoted: (promoted: string[]) => void): () => void {
    let checking = false;
    const timer = setInterval(() => {
      // A slow database may make a check outlast the interval: the next waits its turn.
      if (checking) return;
      checking = true;
      this.check()
        .then((promoted) => promoted.length && onPromoted(promoted), onError)
        .finally(() => (checking = false));
    }, intervalMs);
    return () => clearInterval(timer);
  }
}

/** The running tests of the catalog's latest sequences whose step carries a promotion rule. */
function ruledExperiments(catalog: Catalog): RuledExperiment[] {
  return Object.values(catalog.latest).flatMap((version) => {
    const definition = catalog.versions[version]!;
    return definition.steps.flatMap((step) => ('promote' in step && step.promote && step.variants ? [{ id: experimentId(definition.id, step.id), rule: step.promote, variants: step.variants }] : []));
  });
}
