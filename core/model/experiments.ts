// A/B tests of message steps: which variant a lead gets. Deterministic in the experiment and the
// lead alone, so a lead keeps its variant across continue-as-new, re-entry and new versions of the
// sequence that keep the step's id, and a replay assigns it again the same.
import { fingerprint } from './hash';
import type { SequenceDefinition } from './sequence';

export interface Variant {
  id: string;
  weight: number;
  template?: string;
}

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
 * The definitions with each promoted variant made the step itself: its template (the step's own
 * for a control), and no variants, so the test ends and the sequence gets a new version.
 */
export function applyPromotions(definitions: readonly SequenceDefinition[], promotions: Readonly<Record<string, string>>): SequenceDefinition[] {
  return definitions.map((definition) => ({
    ...definition,
    steps: definition.steps.map((step) => {
      const promoted = promotions[experimentId(definition.id, step.id)];
      if (promoted === undefined || step.kind === 'webhook' || !('variants' in step) || !step.variants) return step;
      const winner = step.variants.find((variant) => variant.id === promoted);
      if (!winner) throw new Error(`promotion of ${experimentId(definition.id, step.id)}: no variant ${JSON.stringify(promoted)} (variants: ${step.variants.map((variant) => variant.id).join(', ')})`);
      const { variants: _variants, ...rest } = step;
      return { ...rest, template: winner.template ?? step.template };
    }),
  }));
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
