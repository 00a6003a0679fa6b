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

/**
 * An A/B test of a message step: each lead is assigned one variant for good, by weight (a hash of
 * the experiment and the lead), and gets its template; a variant without one sends the step's own
 * (the control). The first variant is what the others are compared with.
 */
const variantsSchema = z
  .array(z.strictObject({ id: stepId, weight: z.number().int().min(1).max(100), template: templateId.optional() }))
  .min(2)
  .max(5)
  .refine((variants) => new Set(variants.map((variant) => variant.id)).size === variants.length, 'variant ids must differ');
const message = { id: stepId, template: templateId, variants: variantsSchema.optional() };

const stepSchema = lazySchema(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('email'), ...message }),
    z.strictObject({ kind: z.literal('sms'), ...message }),
    z.strictObject({ kind: z.literal('inApp'), ...message }),
    /** A JSON POST to a configured endpoint (CRM, retargeting audience, chat), named by `target`. */
    z.strictObject({ kind: z.literal('webhook'), id: stepId, target: z.string().min(1).max(64), event: z.string().min(1).max(64) }),
    /** A middle offer: a low-friction asset (pricing guide, checklist, ROI calculator) before the demo. */
    z.strictObject({ kind: z.literal('offer'), ...message, offer: z.enum(CONTENT_KINDS), channel: z.enum(['email', 'inApp']).default('email') }),
    /** A pause before the next step; the lead's cadence tier stretches or shortens it. */
    z.strictObject({ kind: z.literal('wait'), id: stepId, duration: durationSchema }),
    /** Waits until the condition holds or the timeout passes; on timeout, jumps to onTimeout if set. */
    z.strictObject({ kind: z.literal('waitFor'), id: stepId, until: conditionSchema, timeout: durationSchema, onTimeout: stepId.optional() }),
    /** Jumps to `then` when the condition holds, else to `else` (or the next step). */
    z.strictObject({ kind: z.literal('branch'), id: stepId, if: conditionSchema, then: stepId, else: stepId.optional() }),
    z.strictObject({ kind: z.literal('handoff'), id: stepId }),
    z.strictObject({ kind: z.literal('exit'), id: stepId, reason: z.string().min(1).max(64) }),
  ]),
);

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

/** The channel a touch step reaches the lead on. */
export function touchChannel(step: TouchStep): Channel {
  switch (step.kind) {
    case 'email':
      return 'email';
    case 'sms':
      return 'sms';
    case 'inApp':
      return 'in_app';
    case 'webhook':
      return 'webhook';
    case 'offer':
      return step.channel === 'inApp' ? 'in_app' : 'email';
  }
}
