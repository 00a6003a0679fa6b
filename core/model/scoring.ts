// Fit and intent scores with their breakdown. Fit is derived from the profile against the ideal
// customer profile; intent accumulates event points that decay with a half-life, with clicks damped
// against bots. Both are reported separately and as a total.
import { durationMs } from './duration';
import type { LeadTraits } from './lead';
import type { ScoringModel } from './tuning';

export interface ScorePart {
  rule: string;
  points: number;
}

export interface Scores {
  fit: number;
  intent: number;
  total: number;
  parts: ScorePart[];
}

/**
 * Intent points per rule, each stored as its value at `base` scaled by 2^((t - base) / halfLife):
 * adding an event touches one number, and reading decays everything with one factor. Bounded: one
 * number per rule whatever the lead's age.
 */
export interface IntentState {
  parts: Record<string, number>;
  base: number;
}

/** Rebase long before doubles could overflow: 2^64 is far from the 2^1023 limit. */
const MAX_EXPONENT = 64;

export function fitScore(profile: LeadTraits, model: ScoringModel): ScorePart[] {
  const { icp, fitPoints } = model;
  const parts: ScorePart[] = [];
  const lower = (value?: string) => value?.trim().toLowerCase();
  const industry = lower(profile.industry);
  if (industry && icp.industries.some((target) => target.toLowerCase() === industry)) parts.push({ rule: `fit:industry=${industry}`, points: fitPoints.industry });
  if (profile.companySize !== undefined && profile.companySize >= icp.companySize.min && profile.companySize <= icp.companySize.max) {
    parts.push({ rule: 'fit:company_size', points: fitPoints.companySize });
  }
  if (profile.country && icp.countries.includes(profile.country.toUpperCase())) parts.push({ rule: `fit:country=${profile.country.toUpperCase()}`, points: fitPoints.country });
  const title = lower(profile.title);
  const seniority = title && seniorityMatchers(icp.seniority).find(({ pattern }) => pattern.test(title));
  if (seniority) parts.push({ rule: `fit:title~${seniority.keyword}`, points: seniority.points });
  const domain = profile.emailDomain;
  if (domain && icp.freeMailDomains.includes(domain)) parts.push({ rule: 'fit:free_mail_domain', points: fitPoints.freeMail });
  if (domain && icp.competitorDomains.includes(domain)) parts.push({ rule: 'fit:competitor_domain', points: fitPoints.competitor });
  return parts;
}

/** Adds an event's points; an event that happened before `base` has already decayed by then. */
export function addIntent(intent: IntentState, rule: string, points: number, at: number, model: ScoringModel): IntentState {
  const halfLife = durationMs(model.halfLife);
  const current = (at - intent.base) / halfLife > MAX_EXPONENT ? rebase(intent, at, halfLife) : intent;
  const scaled = points * Math.pow(2, (at - current.base) / halfLife);
  // Copied, then the rule set: V8 builds a literal with a computed key far more slowly.
  const parts = { ...current.parts };
  parts[rule] = (current.parts[rule] ?? 0) + scaled;
  return { base: current.base, parts };
}

function rebase(intent: IntentState, base: number, halfLife: number): IntentState {
  const factor = Math.pow(0.5, (base - intent.base) / halfLife);
  const parts: Record<string, number> = {};
  for (const rule in intent.parts) {
    const value = intent.parts[rule]! * factor;
    // Parts that have faded below a hundredth of a point are dropped for good.
    if (Math.abs(value) >= 0.01) parts[rule] = value;
  }
  return { parts, base };
}

export interface ScoreInputs {
  profile: LeadTraits;
  intent: IntentState;
  /** Last intent signal, or enrolment when there has been none: silence is measured from it. */
  lastEngagedAt: number;
}

// A profile object is replaced, never changed, when the lead's profile changes: fit is computed
// once per profile and model.
const fitCache = new WeakMap<object, { model: ScoringModel; parts: ScorePart[]; total: number }>();

function cachedFit(profile: LeadTraits, model: ScoringModel): { parts: ScorePart[]; total: number } {
  const cached = fitCache.get(profile);
  if (cached?.model === model) return cached;
  const parts = fitScore(profile, model);
  const fit = { model, parts, total: round(sum(parts)) };
  fitCache.set(profile, fit);
  return fit;
}

export type ScoreTotals = Omit<Scores, 'parts'>;

/** The three totals without the breakdown: what qualification reads on every event. */
export function scoreTotals({ profile, intent, lastEngagedAt }: ScoreInputs, now: number, model: ScoringModel): ScoreTotals {
  const fit = cachedFit(profile, model).total;
  let decayable = 0;
  for (const rule in intent.parts) decayable += intent.parts[rule]!;
  const decayed = decayable * Math.pow(0.5, (now - intent.base) / durationMs(model.halfLife));
  const intentTotal = round(decayed + silencePoints(lastEngagedAt, now, model));
  return { fit, intent: intentTotal, total: round(fit + intentTotal) };
}

/** The scores with the rule behind every point, for sales, previews and the audit of each send; `totals` when already known. */
export function computeScores({ profile, intent, lastEngagedAt }: ScoreInputs, now: number, model: ScoringModel, totals?: ScoreTotals): Scores {
  const fitParts = cachedFit(profile, model).parts;
  const factor = Math.pow(0.5, (now - intent.base) / durationMs(model.halfLife));
  const intentParts: ScorePart[] = [];
  // Every part as it stands at `now`, those that round to nothing left out.
  for (const rule in intent.parts) {
    const points = round(intent.parts[rule]! * factor);
    if (points !== 0) intentParts.push({ rule: `intent:${rule}`, points });
  }
  const silence = silencePoints(lastEngagedAt, now, model);
  if (silence) intentParts.push({ rule: 'intent:long_silence', points: silence });
  const { fit, intent: intentTotal, total } = totals ?? scoreTotals({ profile, intent, lastEngagedAt }, now, model);
  return { fit, intent: intentTotal, total, parts: [...fitParts, ...intentParts] };
}

/** The intent score every `everyDays` for `days` from now if the lead does nothing more: it halves every half-life. */
export function intentDecay(intent: number, halfLife: string, days: number, everyDays: number): { day: number; intent: number }[] {
  const halfLifeDays = durationMs(halfLife) / 86_400_000;
  return Array.from({ length: Math.floor(days / everyDays) + 1 }, (_, i) => ({ day: i * everyDays, intent: round(intent * Math.pow(0.5, (i * everyDays) / halfLifeDays)) }));
}

function silencePoints(lastEngagedAt: number, now: number, model: ScoringModel): number {
  return now - lastEngagedAt >= durationMs(model.silence.after) ? model.silence.points : 0;
}

/** Click damping state: one counted click per window, and whether the lead looks like a bot. */
export interface ClickState {
  windowStart?: number;
  clicksInWindow: number;
  botSuspected: boolean;
}

/**
 * Decides whether a click counts. Clicks inside one burst window count once; more than
 * `burstClicks` in a window, or a click within seconds of the email going out (a link scanner),
 * marks the lead as suspected-bot traffic.
 */
export function dampClick(clicks: ClickState, at: number, lastEmailSentAt: number | undefined, model: ScoringModel): { clicks: ClickState; counts: boolean } {
  const scannerClick = lastEmailSentAt !== undefined && at >= lastEmailSentAt && at - lastEmailSentAt < durationMs(model.bot.afterDelivery);
  const inWindow = clicks.windowStart !== undefined && at >= clicks.windowStart && at - clicks.windowStart < durationMs(model.bot.burstWindow);
  const clicksInWindow = inWindow ? clicks.clicksInWindow + 1 : 1;
  return {
    // A scanner's click earns nothing; of a person's burst, the first click counts.
    counts: !inWindow && !scannerClick,
    clicks: {
      windowStart: inWindow ? clicks.windowStart : at,
      clicksInWindow,
      botSuspected: clicks.botSuspected || scannerClick || clicksInWindow > model.bot.burstClicks,
    },
  };
}

function sum(parts: ScorePart[]): number {
  return parts.reduce((total, part) => total + part.points, 0);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

const matcherCache = new WeakMap<ScoringModel['icp']['seniority'], { keyword: string; points: number; pattern: RegExp }[]>();

/** Whole-word matchers for the seniority keywords, compiled once per model. */
function seniorityMatchers(seniority: ScoringModel['icp']['seniority']) {
  let matchers = matcherCache.get(seniority);
  if (!matchers) {
    matchers = seniority.map((rule) => ({ ...rule, pattern: new RegExp(`\\b${escapeRegExp(rule.keyword)}\\b`) }));
    matcherCache.set(seniority, matchers);
  }
  return matchers;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
