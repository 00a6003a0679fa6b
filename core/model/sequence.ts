// Sequences as data: the zod schema of a sequence definition and its steps, which the engine
// interprets. A definition is plain JSON, so it can be hashed into a version, linted and rendered.
import { z } from 'zod';
import { lazySchema } from '../lazySchema';
import { conditionSchema } from './conditions';
import { durationSchema } from './duration';
import { CONTENT_KINDS, type Channel } from './events';
import { cadenceOverrideSchema } from './tuning';

const stepId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, - or _ (at most 64)');
const templateId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_/-]{0,127}$/, 'must be a template path such as ops/welcome');

/** A variant of an A/B test, as the engine reads it: its weight, and what it changes in its step. */
export interface Variant {
  id: string;
  weight: number;
  template?: string;
  /** A message step's variant on another channel than the step's. */
  channel?: (typeof VARIANT_CHANNELS)[number];
  /** A wait's variant: how long it waits. */
  duration?: string;
}

/** What an experiment's results are compared on: the exposed send's engagement, or a conversion within the window. */
export const EXPERIMENT_METRICS = ['opened', 'clicked', 'replied', 'mql', 'sql', 'opportunity'] as const;
export type ExperimentMetric = (typeof EXPERIMENT_METRICS)[number];

/** The channels a message variant may move its step to (the step kinds that reach the lead). */
const VARIANT_CHANNELS = ['email', 'sms', 'inApp'] as const;

/** What every variant has: its id and its weight. */
const variantBase = { id: stepId, weight: z.number().int().min(1).max(100) };
/** Two to five variants with distinct ids. */
const variantList = <T extends z.ZodType<{ id: string }>>(variant: T) =>
  z
    .array(variant)
    .min(2)
    .max(5)
    .refine((variants) => new Set(variants.map((each) => each.id)).size === variants.length, 'variant ids must differ');

/**
 * An A/B test of a message step: each lead is assigned one variant for good, by weight (a hash of
 * the experiment and the lead), and gets its template and channel; a variant without them sends the
 * step's own (the control). A variant on another channel names a template for it. The first variant
 * is what the others are compared with.
 */
const messageVariantsSchema = variantList(z.strictObject({ ...variantBase, template: templateId.optional(), channel: z.enum(VARIANT_CHANNELS).optional() }));

/** An A/B test of a wait: each variant waits its own duration (the step's own when it names none). */
const waitVariantsSchema = variantList(z.strictObject({ ...variantBase, duration: durationSchema.optional() }));

/**
 * When a running A/B test ends by itself: once every arm has `minExposures` leads, the variant with
 * the best rate on `metric` among those shown better than the control (two-proportion z-test at
 * `confidence`, conversions counted within `windowDays` of exposure) becomes the step, as a new
 * catalog version. Checked by the lead workers every NURTURE_PROMOTION_INTERVAL.
 */
export const promotionRuleSchema = lazySchema(() =>
  z.strictObject({
    metric: z.enum(EXPERIMENT_METRICS),
    minExposures: z.number().int().min(30).max(1_000_000).default(100),
    confidence: z.number().min(0.8).max(0.999).default(0.95),
    windowDays: z.number().int().min(1).max(365).default(30),
  }),
);
export type PromotionRule = z.output<typeof promotionRuleSchema>;
export type PromotionRuleInput = z.input<typeof promotionRuleSchema>;

const experimentFields = <V extends z.ZodType>(variants: V) => ({ variants: variants.optional(), promote: promotionRuleSchema.optional() });
const message = { id: stepId, template: templateId, ...experimentFields(messageVariantsSchema) };

const stepSchema = lazySchema(() =>
  z
    .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('email'), ...message }),
    z.strictObject({ kind: z.literal('sms'), ...message }),
    z.strictObject({ kind: z.literal('inApp'), ...message }),
    /** A JSON POST to a configured endpoint (CRM, retargeting audience, chat), named by `target`. */
    z.strictObject({ kind: z.literal('webhook'), id: stepId, target: z.string().min(1).max(64), event: z.string().min(1).max(64) }),
    /** A middle offer: a low-friction asset (pricing guide, checklist, ROI calculator) before the demo. */
    z.strictObject({ kind: z.literal('offer'), ...message, offer: z.enum(CONTENT_KINDS), channel: z.enum(['email', 'inApp']).default('email') }),
    /** A pause before the next step; the lead's cadence tier stretches or shortens it. */
    z.strictObject({ kind: z.literal('wait'), id: stepId, duration: durationSchema, ...experimentFields(waitVariantsSchema) }),
    /** Waits until the condition holds or the timeout passes; on timeout, jumps to onTimeout if set. */
    z.strictObject({ kind: z.literal('waitFor'), id: stepId, until: conditionSchema, timeout: durationSchema, onTimeout: stepId.optional() }),
    /** Jumps to `then` when the condition holds, else to `else` (or the next step). */
    z.strictObject({ kind: z.literal('branch'), id: stepId, if: conditionSchema, then: stepId, else: stepId.optional() }),
    z.strictObject({ kind: z.literal('handoff'), id: stepId }),
    z.strictObject({ kind: z.literal('exit'), id: stepId, reason: z.string().min(1).max(64) }),
    ])
    .superRefine(checkExperiment),
);

/** What the variants' own schemas cannot see: the step they belong to. */
function checkExperiment(step: { kind: string; variants?: readonly Variant[]; promote?: unknown }, ctx: z.RefinementCtx): void {
  if (step.promote && !step.variants) ctx.addIssue({ code: 'custom', path: ['promote'], message: 'a promotion rule needs variants to choose from' });
  step.variants?.forEach((variant, index) => {
    if (!variant.channel || variant.channel === step.kind) return;
    if (step.kind === 'offer') ctx.addIssue({ code: 'custom', path: ['variants', index, 'channel'], message: 'an offer keeps its channel: test another channel with an email, sms or inApp step' });
    else if (!variant.template) ctx.addIssue({ code: 'custom', path: ['variants', index, 'template'], message: `a variant on ${variant.channel} names a template written for it` });
  });
}

export type Step = z.output<typeof stepSchema>;
export type TouchStep = Extract<Step, { kind: 'email' | 'sms' | 'inApp' | 'webhook' | 'offer' }>;

const TOUCH_KINDS = ['email', 'sms', 'inApp', 'webhook', 'offer'] as const;
export function isTouchStep(step: Step): step is TouchStep {
  return (TOUCH_KINDS as readonly string[]).includes(step.kind);
}

export const sequenceSchema = lazySchema(() =>
  z.strictObject({
    id: stepId,
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    /** Who the sequence is for; routing enrols a lead in the first sequence whose audience matches. */
    audience: conditionSchema,
    /** Goals and exit rules, checked on every input: the lead leaves as soon as any holds. */
    exitWhen: z.array(conditionSchema).default([]),
    /** Where a lead goes when it reaches the end; absent means the long-term pool. */
    then: stepId.optional(),
    cadence: cadenceOverrideSchema.optional(),
    /**
     * How a lead running an older version moves onto this one, at its next wake-up: `pin` (when
     * absent) finishes on its own, `next-step` goes on at the same step (or the nearest later one),
     * `restart` starts over.
     */
    migration: z.enum(['pin', 'next-step', 'restart']).optional(),
    steps: z.array(stepSchema).min(1),
  }),
);

export type SequenceDefinition = z.output<typeof sequenceSchema>;
export type SequenceInput = z.input<typeof sequenceSchema>;

export function stepIndex(definition: SequenceDefinition, id: string): number {
  return definition.steps.findIndex((step) => step.id === id);
}

/** The channel each kind of message step reaches the lead on. */
const MESSAGE_CHANNELS = { email: 'email', sms: 'sms', inApp: 'in_app' } as const satisfies Record<(typeof VARIANT_CHANNELS)[number], Channel>;

/** The channel a touch step reaches the lead on. */
export function touchChannel(step: TouchStep): Channel {
  switch (step.kind) {
    case 'webhook':
      return 'webhook';
    case 'offer':
      return MESSAGE_CHANNELS[step.channel];
    default:
      return MESSAGE_CHANNELS[step.kind];
  }
}

/** The channel a message variant moves its step to. */
export function variantChannel(kind: (typeof VARIANT_CHANNELS)[number]): Channel {
  return MESSAGE_CHANNELS[kind];
}
