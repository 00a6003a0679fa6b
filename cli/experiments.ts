// `nurture experiments`: each A/B test's variants as a table: exposures, the metric's rate with its
// sample, the lift over the control with its interval, the p-value, and what can be said of it.
import path from 'node:path';
import { z } from 'zod';
import { PromotionsFileError, recordPromotion } from '../app/promotions';
import { mayPromote, verdictOf } from '../core/model/experiments';
import { PROMOTIONS_FILE } from '../sequences/library';
import { callApi, resolveApiTarget, type ApiTarget } from './apiClient';
import { InputError } from './inputs';

export interface ExperimentsOptions extends ApiTarget {
  experiment?: string;
  metric?: string;
  windowDays?: string;
}

const comparison = z.object({
  lift: z.number().nullable(),
  liftInterval: z.array(z.number()).nullable(),
  difference: z.number().nullable(),
  differenceInterval: z.array(z.number()).nullable(),
  pValue: z.number().nullable(),
  enoughData: z.boolean(),
  confidence: z.number(),
});
const answer = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      metric: z.string(),
      windowDays: z.number(),
      control: z.string(),
      variants: z.array(z.object({ id: z.string(), exposures: z.number(), counts: z.record(z.string(), z.number()), rate: z.number().nullable(), versusControl: comparison.nullable() })),
    }),
  ),
});

const percent = (value: number | null | undefined) => (value === null || value === undefined ? '-' : `${(value * 100).toFixed(1)}%`);
const signedPercent = (value: number) => `${value > 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;

/** The results GET /v1/experiments gives for these options. */
async function experimentResults(options: ExperimentsOptions, env: Record<string, string | undefined>): Promise<z.infer<typeof answer>['items']> {
  const given = Object.entries({ experiment: options.experiment, metric: options.metric, windowDays: options.windowDays }).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return (await callApi(resolveApiTarget(options, env), 'GET', `/v1/experiments?${new URLSearchParams(given)}`, answer)).items;
}

export async function listExperiments(options: ExperimentsOptions, env: Record<string, string | undefined> = process.env): Promise<string> {
  const items = await experimentResults(options, env);
  if (!items.length) return 'no experiments have sent anything yet\n';
  return items
    .map((experiment) => {
      const metric = experiment.metric === 'mql' || experiment.metric === 'sql' || experiment.metric === 'opportunity' ? `${experiment.metric} within ${experiment.windowDays} d` : experiment.metric;
      const rows = experiment.variants.map((variant) => {
        const n = `${variant.counts[experiment.metric] ?? 0}/${variant.exposures}`;
        const versus = variant.versusControl;
        const lift = versus?.lift === null || versus?.lift === undefined ? '' : `lift ${signedPercent(versus.lift)}${versus.liftInterval ? ` [${versus.liftInterval.map(signedPercent).join(', ')}]` : ''}`;
        const p = versus?.pValue === null || versus?.pValue === undefined ? '' : `p ${versus.pValue}`;
        return `  ${variant.id.padEnd(12)} ${String(variant.exposures).padStart(7)} exposed  ${percent(variant.rate).padStart(6)} (${n})  ${versus ? [lift, p, verdictOf(versus)].filter(Boolean).join('  ') : 'control'}`;
      });
      return [`${experiment.id}: ${metric}`, ...rows].join('\n');
    })
    .join('\n\n')
    .concat('\n');
}

export interface PromoteOptions extends ExperimentsOptions {
  /** Promote whatever the results say. */
  force?: boolean;
  /** The promotions module to write (sequences/promotions.ts). */
  file?: string;
}

/**
 * `nurture experiments promote <experiment> <variant>`: records the winner in sequences/promotions.ts
 * once the results allow it (enough data, better than the control at 95% on the metric; the
 * control itself always), or with --force.
 */
export async function promoteVariant(experiment: string, variantId: string, options: PromoteOptions, env: Record<string, string | undefined> = process.env): Promise<string> {
  const [result] = await experimentResults({ ...options, experiment }, env);
  if (!result) throw new InputError(`${experiment}: no such experiment has sent anything yet`);
  const variant = result.variants.find((candidate) => candidate.id === variantId);
  if (!variant) throw new InputError(`${experiment} has no variant ${JSON.stringify(variantId)} (variants: ${result.variants.map((candidate) => candidate.id).join(', ')})`);
  const said = verdictOf(variant.versusControl);
  if (!options.force && !mayPromote(said)) {
    throw new InputError(`${experiment}: ${variantId} is not shown better than ${result.control} on ${result.metric} (${said}); --force promotes it anyway`);
  }
  const file = options.file ?? PROMOTIONS_FILE;
  try {
    recordPromotion(experiment, variantId, file);
  } catch (err) {
    throw err instanceof PromotionsFileError ? new InputError(err.message) : err;
  }
  return `promoted ${variantId} in ${experiment} (${said}) in ${path.relative(process.cwd(), file)}: \`nurture diff\` shows the change; the lead workers' next start makes it the step for every lead\n`;
}
