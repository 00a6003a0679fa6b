// The promoted variants of A/B tests, as sequences/promotions.ts records them: read, and a winner
// written in (by `nurture experiments promote` and the experiments page), for review and commit. The
// lead workers' next start makes each the step for every lead.
import fs from 'node:fs';
import { PROMOTIONS_FILE } from '../sequences/library';

/** The promotions module is not in the form this code writes and reads. */
export class PromotionsFileError extends Error {
  override name = 'PromotionsFileError';
}

/** The promotions the module holds, by experiment. */
export function readPromotions(file = PROMOTIONS_FILE): Record<string, string> {
  const body = /export const promotions: Record<string, string> = (\{[\s\S]*?\});/.exec(fs.readFileSync(file, 'utf8'))?.[1];
  try {
    return JSON.parse(body!.replace(/,(\s*)\}$/, '$1}')) as Record<string, string>;
  } catch {
    throw new PromotionsFileError(`${file}: cannot read its promotions: keep the form export const promotions: Record<string, string> = { "<sequence>/<step>": "<variant>", };`);
  }
}

/** Records `variant` as the winner of `experiment` in the module. */
export function recordPromotion(experiment: string, variant: string, file = PROMOTIONS_FILE): void {
  const promoted = { ...readPromotions(file), [experiment]: variant };
  const keys = Object.keys(promoted).sort();
  const declaration = `export const promotions: Record<string, string> = {${keys.map((key) => `\n  ${JSON.stringify(key)}: ${JSON.stringify(promoted[key])},`).join('')}${keys.length ? '\n' : ''}};\n`;
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/export const promotions[\s\S]*$/, declaration));
}
