// How sure a difference in conversion is: treated against holdout (and, with experiments, one
// variant against another). Intervals that behave at small samples and rates near 0 or 1: Wilson's
// score interval for each rate, Newcombe's hybrid score interval for their difference (method 10
// of Newcombe 1998), Katz's log interval for their ratio (the relative lift), and the pooled
// two-proportion z-test for the p-value. The normal distribution is stdlib's.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

export interface Arm {
  leads: number;
  converted: number;
}

export interface ConversionComparison {
  /** Treated minus control conversion, absolute (0.05 is five points). */
  difference: number | null;
  differenceInterval: [number, number] | null;
  /** Treated over control conversion, minus one (0.25 is a quarter more). */
  lift: number | null;
  liftInterval: [number, number] | null;
  /** Two-sided, pooled two-proportion z-test. */
  pValue: number | null;
  /** Each arm at least 30 leads, and 5 expected conversions and 5 expected non-conversions at the pooled rate: the normal approximation holds. */
  enoughData: boolean;
  confidence: number;
}

const MIN_LEADS = 30;
const MIN_EXPECTED = 5;

/** Wilson's score interval for `successes` of `n`. */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): [number, number] {
  const z = normalQuantile(1 - (1 - confidence) / 2, 0, 1);
  const p = successes / n;
  const centre = p + (z * z) / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  const scale = 1 + (z * z) / n;
  return [(centre - spread) / scale, (centre + spread) / scale];
}

export function compareConversion(treated: Arm, control: Arm, confidence = 0.95): ConversionComparison {
  const empty = { difference: null, differenceInterval: null, lift: null, liftInterval: null, pValue: null, enoughData: false, confidence };
  if (!treated.leads || !control.leads) return empty;
  const p1 = treated.converted / treated.leads;
  const p2 = control.converted / control.leads;
  const [l1, u1] = wilsonInterval(treated.converted, treated.leads, confidence);
  const [l2, u2] = wilsonInterval(control.converted, control.leads, confidence);
  const difference = p1 - p2;
  const differenceInterval: [number, number] = [difference - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), difference + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)];

  const pooled = (treated.converted + control.converted) / (treated.leads + control.leads);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / treated.leads + 1 / control.leads));
  const pValue = standardError > 0 ? 2 * (1 - normalCdf(Math.abs(difference) / standardError, 0, 1)) : null;

  // The ratio's log interval needs a conversion in each arm.
  const lift = p2 > 0 ? p1 / p2 - 1 : null;
  let liftInterval: [number, number] | null = null;
  if (treated.converted > 0 && control.converted > 0) {
    const z = normalQuantile(1 - (1 - confidence) / 2, 0, 1);
    const logSe = Math.sqrt(1 / treated.converted - 1 / treated.leads + 1 / control.converted - 1 / control.leads);
    const logRatio = Math.log(p1 / p2);
    liftInterval = [Math.exp(logRatio - z * logSe) - 1, Math.exp(logRatio + z * logSe) - 1];
  }
  const expectedEnough = [treated.leads, control.leads].every((n) => n * pooled >= MIN_EXPECTED && n * (1 - pooled) >= MIN_EXPECTED);
  return { difference, differenceInterval, lift, liftInterval, pValue, enoughData: treated.leads >= MIN_LEADS && control.leads >= MIN_LEADS && expectedEnough, confidence };
}
