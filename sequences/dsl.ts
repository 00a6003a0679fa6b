// The marketer-facing DSL: typed builders for sequences, steps and conditions. What they build is
// plain data (validated by core/model/sequence.ts), so a sequence can be hashed, linted and previewed.
import type { Condition, ProfileField } from '../core/model/conditions';
import type { Stage, Tier } from '../core/model/stages';
import { sequenceSchema, type PromotionRuleInput, type Variant, type SequenceDefinition, type SequenceInput, type Step } from '../core/model/sequence';
import { zodIssues } from '../core/model/events';

type StepInput = SequenceInput['steps'][number];
/** A wait may leave out its id: it gets `wait-<position>`. */
type DraftStep = StepInput | (Omit<Extract<StepInput, { kind: 'wait' }>, 'id'> & { id?: string });

export interface SequenceDraft extends Omit<SequenceInput, 'steps' | 'exitWhen'> {
  exitWhen?: Condition[];
  steps: DraftStep[];
}

/** A sequence that failed validation, with the path and message of every problem. */
export class SequenceDefinitionError extends Error {
  override name = 'SequenceDefinitionError';
  constructor(
    readonly sequenceId: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`sequence ${JSON.stringify(sequenceId)} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/** Validates a sequence and returns its definition; an invalid one throws naming every bad path. */
export function defineSequence(draft: SequenceDraft): SequenceDefinition {
  const steps = draft.steps.map((step, index) => (step.id ? step : { ...step, id: `wait-${index + 1}` }));
  const result = sequenceSchema.safeParse({ ...draft, steps });
  if (!result.success) throw new SequenceDefinitionError(String(draft.id), zodIssues(result.error));
  return result.data;
}

// --- steps ----------------------------------------------------------------------------------

export const email = (id: string, template: string): Step => ({ kind: 'email', id, template });
export const sms = (id: string, template: string): Step => ({ kind: 'sms', id, template });
export const inApp = (id: string, template: string): Step => ({ kind: 'inApp', id, template });
export const webhook = (id: string, target: string, event: string): Step => ({ kind: 'webhook', id, target, event });
export const offer = (id: string, kind: Extract<Step, { kind: 'offer' }>['offer'], template: string, channel: 'email' | 'inApp' = 'email'): Step => ({
  kind: 'offer',
  id,
  offer: kind,
  template,
  channel,
});
/**
 * An A/B test of a message step (a variant's template, or channel with a template for it) or of a
 * wait (a variant's duration): each lead gets one variant for good, by weight; a variant that names
 * nothing keeps the step's own. The first variant is the control.
 */
export const experiment = <S extends DraftStep>(step: S, ...variants: Variant[]): S => ({ ...step, variants });
/** The rule that ends the step's A/B test by itself: the best variant proven better than the control becomes the step. */
export const promoteWhen = <S extends DraftStep>(step: S, rule: PromotionRuleInput): S => ({ ...step, promote: rule });
export const wait = (duration: string, id?: string): DraftStep => ({ kind: 'wait', duration, ...(id ? { id } : {}) });
export const waitFor = (id: string, until: Condition, options: { timeout: string; onTimeout?: string }): Step => ({
  kind: 'waitFor',
  id,
  until,
  ...options,
});
export const branch = (id: string, condition: Condition, targets: { then: string; else?: string }): Step => ({
  kind: 'branch',
  id,
  if: condition,
  ...targets,
});
export const handoff = (id = 'handoff'): Step => ({ kind: 'handoff', id });
export const exit = (id: string, reason: string): Step => ({ kind: 'exit', id, reason });

// --- conditions -----------------------------------------------------------------------------

/** The lead did something: `did('page_view:pricing', { within: '7d' })`. */
export const did = (event: string, options: { within?: string; since?: 'enrolment' | 'step'; atLeast?: number } = {}): Condition => ({ event, ...options });
export const scoreAtLeast = (score: 'fit' | 'intent' | 'total', atLeast: number): Condition => ({ score, atLeast });
export const scoreBelow = (score: 'fit' | 'intent' | 'total', below: number): Condition => ({ score, below });
export const stageIs = (...stage: Stage[]): Condition => ({ stage });
export const tierIs = (...tier: Tier[]): Condition => ({ tier });
export const fieldIs = (field: ProfileField, ...oneOf: string[]): Condition => ({ field, oneOf });
export const fieldContains = (field: ProfileField, contains: string): Condition => ({ field, contains });
export const fieldAtLeast = (field: ProfileField, atLeast: number): Condition => ({ field, atLeast });
export const all = (...conditions: Condition[]): Condition => ({ all: conditions });
export const any = (...conditions: Condition[]): Condition => ({ any: conditions });
export const not = (condition: Condition): Condition => ({ not: condition });
export const inNurture: Condition = { stage: ['lead', 'mql', 'recycled'] };
