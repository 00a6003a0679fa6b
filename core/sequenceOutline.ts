// A sequence in words, for the marketers' pages: each step as one line (what it sends, how long it
// waits, which way a branch goes and why) and every condition as readable text.
import type { Condition } from './model/conditions';
import type { PromotionRule, SequenceDefinition, Step, Variant } from './model/sequence';

export function conditionText(condition: Condition): string {
  if ('all' in condition) return condition.all.map(grouped).join(' and ');
  if ('any' in condition) return condition.any.map(grouped).join(' or ');
  if ('not' in condition) return `not ${grouped(condition.not)}`;
  if ('event' in condition) {
    const times = condition.atLeast && condition.atLeast > 1 ? ` at least ${condition.atLeast} times` : '';
    const when = condition.within ? ` within ${condition.within}` : condition.since ? ` since the ${condition.since === 'enrolment' ? 'enrolment' : 'step began'}` : '';
    return `did ${condition.event}${times}${when}`;
  }
  if ('score' in condition) return bounds(`${condition.score} score`, condition);
  if ('stage' in condition) return `stage is ${condition.stage.join(' or ')}`;
  if ('tier' in condition) return `tier is ${condition.tier.join(' or ')}`;
  const { field } = condition;
  if (condition.equals !== undefined) return `${field} is ${condition.equals}`;
  if (condition.oneOf) return `${field} is ${condition.oneOf.join(' or ')}`;
  if (condition.contains !== undefined) return `${field} contains "${condition.contains}"`;
  if (condition.exists !== undefined) return `${field} is ${condition.exists ? 'known' : 'unknown'}`;
  return bounds(field, condition);
}

function grouped(condition: Condition): string {
  return 'all' in condition || 'any' in condition ? `(${conditionText(condition)})` : conditionText(condition);
}

function bounds(what: string, { atLeast, below }: { atLeast?: number; below?: number }): string {
  if (atLeast !== undefined && below !== undefined) return `${what} from ${atLeast} to below ${below}`;
  return atLeast !== undefined ? `${what} ≥ ${atLeast}` : `${what} < ${below}`;
}

export interface OutlineStep {
  id: string;
  kind: Step['kind'];
  /** What the step does, in a line. */
  text: string;
  /** Where a branch or a wait-for may go other than on to the next step. */
  jumps: { when: string; to: string }[];
  /** An A/B test's variants with their weights and what each changes (template, channel, wait). */
  variants: Variant[];
  /** The rule that ends the test by itself, in words. */
  promotion?: string;
}

export function sequenceOutline(definition: SequenceDefinition): OutlineStep[] {
  return definition.steps.map((step) => ({
    id: step.id,
    kind: step.kind,
    text: stepText(step),
    jumps: jumpsOf(step),
    variants: 'variants' in step ? (step.variants ?? []) : [],
    ...('promote' in step && step.promote ? { promotion: promotionText(step.promote) } : {}),
  }));
}

function promotionText(rule: PromotionRule): string {
  return `promotes the best variant shown better than the control on ${rule.metric} (${Math.round(rule.confidence * 1000) / 10}% confidence, within ${rule.windowDays} days) once every arm has ${rule.minExposures} leads`;
}

function stepText(step: Step): string {
  switch (step.kind) {
    case 'email':
      return `Email ${step.template}`;
    case 'sms':
      return `Text ${step.template}`;
    case 'inApp':
      return `In-app message ${step.template}`;
    case 'offer':
      return `Offer a ${step.offer.replace(/_/g, ' ')} (${step.channel === 'inApp' ? 'in-app' : 'email'} ${step.template})`;
    case 'webhook':
      return `Webhook ${step.event} to ${step.target}`;
    case 'wait':
      return `Wait ${step.duration}`;
    case 'waitFor':
      return `Wait up to ${step.timeout} until ${conditionText(step.until)}`;
    case 'branch':
      return `If ${conditionText(step.if)}`;
    case 'handoff':
      return 'Hand off to sales';
    case 'exit':
      return `Exit (${step.reason})`;
  }
}

function jumpsOf(step: Step): OutlineStep['jumps'] {
  if (step.kind === 'branch') return [{ when: 'yes', to: step.then }, ...(step.else ? [{ when: 'no', to: step.else }] : [])];
  if (step.kind === 'waitFor' && step.onTimeout) return [{ when: 'on timeout', to: step.onTimeout }];
  return [];
}
