// Fit and intent scores with their breakdown. Fit is derived from the profile against the ideal
// customer profile; intent accumulates event points that decay with a half-life, with clicks damped
// against bots. Both are reported separately and as a total.
import { durationMs } from './duration';
import { emailDomain, type Lead } from './lead';
import type { ScoringModel } from './model';

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

/** Intent points per rule, decayed to `asOf`: a bounded map whatever the lead's age. */
export interface IntentState {
  parts: Record<string, number>;
  asOf: number;
}

export function fitScore(profile: Omit<Lead, 'id'>, model: ScoringModel): ScorePart[] {
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
  const seniority = title && icp.seniority.find(({ keyword }) => new RegExp(`\\b${escapeRegExp(keyword)}\\b`).test(title));
  if (seniority) parts.push({ rule: `fit:title~${seniority.keyword}`, points: seniority.points });
  const domain = emailDomain(profile.email);
  if (domain && icp.freeMailDomains.includes(domain)) parts.push({ rule: 'fit:free_mail_domain', points: fitPoints.freeMail });
  if (domain && icp.competitorDomains.includes(domain)) parts.push({ rule: 'fit:competitor_domain', points: fitPoints.competitor });
  return parts;
}

/** Decays every part to `now` (never backwards) so the state stays one number per rule. */
export function decayIntent(intent: IntentState, now: number, model: ScoringModel): IntentState {
  if (now <= intent.asOf) return intent;
  const factor = Math.pow(0.5, (now - intent.asOf) / durationMs(model.halfLife));
  const parts: Record<string, number> = {};
  for (const [rule, points] of Object.entries(intent.parts)) {
    const decayed = points * factor;
    // Parts that have faded below a hundredth of a point are dropped to keep the state small.
    if (Math.abs(decayed) >= 0.01) parts[rule] = decayed;
  }
  return { parts, asOf: now };
}

/** Adds an event's points, decayed from when it happened to the state's clock. */
export function addIntent(intent: IntentState, rule: string, points: number, at: number, model: ScoringModel): IntentState {
  const decayed = at < intent.asOf ? points * Math.pow(0.5, (intent.asOf - at) / durationMs(model.halfLife)) : points;
  const next = decayIntent(intent, Math.max(at, intent.asOf), model);
  return { asOf: next.asOf, parts: { ...next.parts, [rule]: (next.parts[rule] ?? 0) + decayed } };
}

export interface ScoreInputs {
  profile: Omit<Lead, 'id'>;
  intent: IntentState;
  /** Last intent signal, or enrolment when there has been none: silence is measured from it. */
  lastEngagedAt: number;
}

export function computeScores({ profile, intent, lastEngagedAt }: ScoreInputs, now: number, model: ScoringModel): Scores {
  const fitParts = fitScore(profile, model);
  const intentParts = Object.entries(decayIntent(intent, now, model).parts)
    .map(([rule, points]) => ({ rule: `intent:${rule}`, points: round(points) }))
    .filter((part) => part.points !== 0);
  if (now - lastEngagedAt >= durationMs(model.silence.after)) intentParts.push({ rule: 'intent:long_silence', points: model.silence.points });
  const fit = round(sum(fitParts));
  const intentTotal = round(sum(intentParts));
  return { fit, intent: intentTotal, total: round(fit + intentTotal), parts: [...fitParts, ...intentParts] };
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
    counts: !inWindow,
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
