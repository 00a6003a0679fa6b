// A/B tests of message steps: which variant a lead gets. Deterministic in the experiment and the
// lead alone, so a lead keeps its variant across continue-as-new, re-entry and new versions of the
// sequence that keep the step's id, and a replay assigns it again the same.
import { fingerprint } from './hash';
import type { PromotionRule, SequenceDefinition, Step, Variant } from './sequence';
import { compareConversion } from './statistics';

/** `<sequence>/<step>`: an experiment is its step's. */
export function experimentId(sequenceId: string, stepId: string): string {
  return `${sequenceId}/${stepId}`;
}

/** The lead's variant: a point in [0, total weight) from a hash of the experiment and the lead, and the variant whose share holds it. */
export function assignVariant<T extends Variant>(experiment: string, leadId: string, variants: readonly T[]): T {
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  let point = fingerprint(`experiment:${experiment}:${leadId}`) % total;
  for (const variant of variants) {
    if (point < variant.weight) return variant;
    point -= variant.weight;
  }
  return variants.at(-1)!;
}

/**
 * The definitions with each promoted variant made the step itself (its template, channel or wait;
 * the step's own for a control), with no variants and no rule left, so the test ends and the
 * sequence gets a new version.
 */
export function applyPromotions(definitions: readonly SequenceDefinition[], promotions: Readonly<Record<string, string>>): SequenceDefinition[] {
  return definitions.map((definition) => ({
    ...definition,
    steps: definition.steps.map((step) => {
      const promoted = promotions[experimentId(definition.id, step.id)];
      if (promoted === undefined || !('variants' in step) || !step.variants) return step;
      const variants: readonly Variant[] = step.variants;
      const winner = variants.find((variant) => variant.id === promoted);
      if (!winner) throw new Error(`promotion of ${experimentId(definition.id, step.id)}: no variant ${JSON.stringify(promoted)} (variants: ${variants.map((variant) => variant.id).join(', ')})`);
      return promotedStep(step, winner);
    }),
  }));
}

function promotedStep(step: Extract<Step, { variants?: unknown }>, winner: Variant): Step {
  const { variants: _variants, promote: _promote, ...rest } = step;
  switch (rest.kind) {
    case 'wait':
      return { ...rest, duration: winner.duration ?? rest.duration };
    case 'offer':
      return { ...rest, template: winner.template ?? rest.template };
    default:
      return { ...rest, kind: winner.channel ?? rest.kind, template: winner.template ?? rest.template };
  }
}

/** How a variant compares with the control, as the results report it. */
export interface VariantComparison {
  enoughData: boolean;
  pValue: number | null;
  difference: number | null;
  confidence: number;
}

export type Verdict = 'control' | 'too little data' | 'better than control' | 'worse than control' | 'no difference shown';

/** What the comparison allows one to say; `control` for the control itself (no comparison). */
export function verdictOf(versus: VariantComparison | null): Verdict {
  if (!versus) return 'control';
  if (!versus.enoughData) return 'too little data';
  if (versus.pValue !== null && versus.pValue < 1 - versus.confidence) return versus.difference! > 0 ? 'better than control' : 'worse than control';
  return 'no difference shown';
}

/** The promotion rule, the same from the command line and the pages: the control, or a variant shown better than it. */
export function mayPromote(verdict: Verdict): boolean {
  return verdict === 'control' || verdict === 'better than control';
}

/** One arm of a running test as its results count it. */
export interface ArmResult {
  id: string;
  exposures: number;
  /** Exposed leads that did what the rule's metric counts. */
  converted: number;
}

/**
 * The variant a promotion rule makes the step, if any yet: once every arm the step defines has the
 * rule's exposures, the one with the best rate among those the two-proportion z-test shows better
 * than the control, the rule's significance split among the variants compared (Bonferroni), so
 * testing four variants is no likelier to promote a dud than testing one. `arms` in any order; an
 * arm with no results yet counts as none exposed.
 */
export function winnerByRule(rule: PromotionRule, variants: readonly Variant[], arms: readonly ArmResult[]): string | undefined {
  const results = variants.map((variant) => arms.find((arm) => arm.id === variant.id) ?? { id: variant.id, exposures: 0, converted: 0 });
  if (results.some((arm) => arm.exposures < rule.minExposures)) return undefined;
  const [control, ...others] = results;
  const confidence = 1 - (1 - rule.confidence) / others.length;
  const rate = (arm: ArmResult) => arm.converted / arm.exposures;
  const better = others.filter((arm) => {
    const versus = compareConversion({ leads: arm.exposures, converted: arm.converted }, { leads: control!.exposures, converted: control!.converted }, confidence);
    return verdictOf(versus) === 'better than control';
  });
  return better.reduce<ArmResult | undefined>((best, arm) => (!best || rate(arm) > rate(best) ? arm : best), undefined)?.id;
}
