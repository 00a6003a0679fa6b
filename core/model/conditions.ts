// Conditions as data: a small expression language over a lead's events, scores, stage, tier and
// profile. Being data, a sequence that uses them stays serialisable, hashable, lintable and
// renderable, and evaluating one is pure.
import { z } from 'zod';
import { lazySchema } from '../lazySchema';
import { durationMs, durationSchema } from './duration';
import { EVENT_TYPES } from './events';
import { STAGES, TIERS, type Stage, type Tier } from './stages';

/** The lead's traits conditions may read (core/model/lead.ts): never a direct identifier. */
const PROFILE_FIELDS = ['company', 'title', 'industry', 'companySize', 'country', 'timezone', 'source', 'emailDomain', 'hasEmail', 'hasPhone'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** `page_view` matches every page view; `page_view:pricing` only pricing pages. */
const eventMatcher = z
  .string()
  .refine((key) => (EVENT_TYPES as string[]).includes(key.split(':')[0]!), { message: 'unknown event type' });

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { event: string; within?: string; since?: 'enrolment' | 'step'; atLeast?: number }
  | { score: 'fit' | 'intent' | 'total'; atLeast?: number; below?: number }
  | { stage: Stage[] }
  | { tier: Tier[] }
  | { field: ProfileField; equals?: string | number; oneOf?: string[]; contains?: string; exists?: boolean; atLeast?: number; below?: number };

export const conditionSchema: z.ZodType<Condition> = lazySchema(() =>
  z.lazy(() =>
    z.union([
      z.strictObject({ all: z.array(conditionSchema).min(1) }),
      z.strictObject({ any: z.array(conditionSchema).min(1) }),
      z.strictObject({ not: conditionSchema }),
      z.strictObject({
        event: eventMatcher,
        within: durationSchema.optional(),
        since: z.enum(['enrolment', 'step']).optional(),
        atLeast: z.number().int().min(1).optional(),
      }),
      z.strictObject({ score: z.enum(['fit', 'intent', 'total']), atLeast: z.number().optional(), below: z.number().optional() }),
      z.strictObject({ stage: z.array(z.enum(STAGES)).min(1) }),
      z.strictObject({ tier: z.array(z.enum(TIERS)).min(1) }),
      z.strictObject({
        field: z.enum(PROFILE_FIELDS),
        equals: z.union([z.string(), z.number()]).optional(),
        oneOf: z.array(z.string()).min(1).optional(),
        contains: z.string().min(1).optional(),
        exists: z.boolean().optional(),
        atLeast: z.number().optional(),
        below: z.number().optional(),
      }),
    ]),
  ),
);

/** What a condition can see of a lead at one instant. */
export interface ConditionContext {
  now: number;
  /** Per event key: how many, and the last time. */
  aggregates: Record<string, { count: number; lastAt: number }>;
  scores: { fit: number; intent: number; total: number };
  stage: Stage;
  tier: Tier;
  profile: Partial<Record<ProfileField, string | number | boolean>>;
  enrolledAt?: number;
  stepEnteredAt?: number;
}

type Test = (ctx: ConditionContext) => boolean;

// A catalog's conditions are replaced, never changed, and read on every input of every lead:
// each is turned into a function once instead of being looked through at every evaluation.
const compiled = new WeakMap<Condition, Test>();

export function evaluate(condition: Condition, ctx: ConditionContext): boolean {
  return testOf(condition)(ctx);
}

function testOf(condition: Condition): Test {
  let test = compiled.get(condition);
  if (!test) {
    test = compile(condition);
    compiled.set(condition, test);
  }
  return test;
}

function compile(condition: Condition): Test {
  if ('all' in condition) {
    const tests = condition.all.map(testOf);
    return (ctx) => tests.every((test) => test(ctx));
  }
  if ('any' in condition) {
    const tests = condition.any.map(testOf);
    return (ctx) => tests.some((test) => test(ctx));
  }
  if ('not' in condition) {
    const test = testOf(condition.not);
    return (ctx) => !test(ctx);
  }
  if ('event' in condition) return (ctx) => evaluateEvent(condition, ctx);
  if ('score' in condition) return (ctx) => inRange(ctx.scores[condition.score], condition);
  if ('stage' in condition) return (ctx) => condition.stage.includes(ctx.stage);
  if ('tier' in condition) return (ctx) => condition.tier.includes(ctx.tier);
  return (ctx) => evaluateField(condition, ctx);
}

function evaluateEvent(condition: Extract<Condition, { event: string }>, ctx: ConditionContext): boolean {
  const seen = matchingAggregate(condition.event, ctx.aggregates);
  if (!seen) return false;
  if (condition.atLeast !== undefined && seen.count < condition.atLeast) return false;
  if (condition.within !== undefined && seen.lastAt < ctx.now - durationMs(condition.within)) return false;
  const since = condition.since === 'step' ? ctx.stepEnteredAt : condition.since === 'enrolment' ? ctx.enrolledAt : undefined;
  if (condition.since !== undefined && (since === undefined || seen.lastAt < since)) return false;
  return true;
}

/** The aggregate of an exact key, or the sum over all keys of a bare event type. */
function matchingAggregate(
  matcher: string,
  aggregates: ConditionContext['aggregates'],
): { count: number; lastAt: number } | undefined {
  if (matcher.includes(':')) return aggregates[matcher];
  let count = 0;
  let lastAt = -Infinity;
  const prefix = `${matcher}:`;
  for (const key in aggregates) {
    if (key !== matcher && !key.startsWith(prefix)) continue;
    const value = aggregates[key]!;
    count += value.count;
    lastAt = Math.max(lastAt, value.lastAt);
  }
  return count ? { count, lastAt } : undefined;
}

function evaluateField(condition: Extract<Condition, { field: ProfileField }>, ctx: ConditionContext): boolean {
  const value = ctx.profile[condition.field];
  if (condition.exists !== undefined && (value !== undefined) !== condition.exists) return false;
  if (value === undefined) return condition.exists === false;
  const textValue = String(value).toLowerCase();
  if (condition.equals !== undefined && textValue !== String(condition.equals).toLowerCase()) return false;
  if (condition.oneOf && !condition.oneOf.some((option) => option.toLowerCase() === textValue)) return false;
  if (condition.contains && !containsWords(textValue, condition.contains.toLowerCase())) return false;
  if (condition.atLeast !== undefined || condition.below !== undefined) {
    return typeof value === 'number' && inRange(value, condition);
  }
  return true;
}

/** Whole-word containment: 'cto' is in 'cto, co-founder' but not in 'director'. */
function containsWords(text: string, words: string): boolean {
  let from = text.indexOf(words);
  while (from >= 0) {
    const before = text[from - 1];
    const after = text[from + words.length];
    if (!isWordCharacter(before) && !isWordCharacter(after)) return true;
    from = text.indexOf(words, from + 1);
  }
  return false;
}

function isWordCharacter(char: string | undefined): boolean {
  return char !== undefined && /[\p{L}\p{N}_]/u.test(char);
}

function inRange(value: number, bounds: { atLeast?: number; below?: number }): boolean {
  return (bounds.atLeast === undefined || value >= bounds.atLeast) && (bounds.below === undefined || value < bounds.below);
}

/** Every event matcher and profile field a condition mentions, for lint and rendering. */
export function conditionParts(condition: Condition): { events: string[]; fields: ProfileField[] } {
  if ('all' in condition || 'any' in condition) {
    const parts = ('all' in condition ? condition.all : condition.any).map(conditionParts);
    return { events: parts.flatMap((p) => p.events), fields: parts.flatMap((p) => p.fields) };
  }
  if ('not' in condition) return conditionParts(condition.not);
  if ('event' in condition) return { events: [condition.event], fields: [] };
  if ('field' in condition) return { events: [], fields: [condition.field] };
  return { events: [], fields: [] };
}
