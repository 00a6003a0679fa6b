// The messages of the lead and sales-handoff workflows, defined once for the workflows and every
// caller (API, CLI, tests), with the zod schemas their payloads are checked against, and the
// workflow ids built from business keys.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { CRM_OUTCOMES, HANDOFF_OUTCOMES, type EngineInput, type HandoffStatus, type Reply } from '../core/protocol';
import { CONSENT_CHANNELS, leadEventSchema, type LeadEvent } from '../core/model/events';
import { profileChangeSchema, type LeadArrival, type LeadTraits } from '../core/model/lead';
import type { LeadState } from '../core/engine/state';
import { RECYCLE_REASONS, type RecycleReason } from '../core/model/tuning';
import type { Scores } from '../core/model/scoring';

export const LEAD_TASK_QUEUE = 'nurture-leads';

/**
 * Sales handoffs, and their activities, run on a queue of their own beside their leads' (patch
 * `handoff-queue`): a demo request's handoff never waits behind other leads' page views.
 */
export function handoffTaskQueue(leadTaskQueue: string): string {
  return `${leadTaskQueue}-handoffs`;
}

export function leadWorkflowId(leadId: string): string {
  return `lead-${leadId}`;
}

// --- lead workflow ---------------------------------------------------------------------------

export interface LeadWorkflowOptions {
  /** Continue as new before a run's history reaches this many events. */
  maxHistoryEvents?: number;
  handoff?: HandoffOptions;
}

export interface LeadWorkflowInput {
  /** The lead's id, traits and the consent it came with (histories recorded before traits carry its profile). */
  lead: LeadArrival;
  /** Enrol in this sequence instead of routing. */
  sequenceId?: string;
  options?: LeadWorkflowOptions;
  /** What a previous run hands over at continue-as-new. */
  carried?: { state: LeadState; inbox: EngineInput[]; wakeAt?: number };
}

const consentChangeSchema = z.object({
  channel: z.enum(CONSENT_CHANNELS),
  granted: z.boolean(),
  source: z.string().min(1).max(100),
  /** When it was given or refused (epoch ms); when the lead hears of it, if absent. */
  at: z.number().int().positive().optional(),
});
const handoffOutcomeSchema = z.object({
  handoffId: z.string().min(1),
  outcome: z.enum(HANDOFF_OUTCOMES),
  reasonCode: z.enum(RECYCLE_REASONS).optional(),
  note: z.string().max(2000).optional(),
});
export const enrollSchema = z.object({ sequenceId: z.string().min(1).max(64) });
export const exitSchema = z.object({ reason: z.string().min(1).max(200) });
/** What the CRM says became of the lead; a lost deal's reason decides when it is re-contacted. */
export const outcomeSchema = z.object({ outcome: z.enum(CRM_OUTCOMES), reason: z.enum(RECYCLE_REASONS).optional() });

export type ConsentChange = z.infer<typeof consentChangeSchema>;
export type HandoffOutcomeMessage = z.infer<typeof handoffOutcomeSchema>;

export const eventSignal = defineSignal<[LeadEvent]>('event');
/** Several events of one lead in the order they happened: what the ingestion relay sends. */
export const eventsSignal = defineSignal<[LeadEvent[]]>('events');
/** A lead's changed traits; never a direct identifier (histories recorded before traits carried the profile). */
export const profileUpdatedSignal = defineSignal<[LeadTraits]>('profileUpdated');
export const consentChangedSignal = defineSignal<[ConsentChange]>('consentChanged');
export const handoffOutcomeSignal = defineSignal<[HandoffOutcomeMessage]>('handoffOutcome');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Pause and resume as updates: the caller hears once the lead's run has taken them. */
export const pauseUpdate = defineUpdate<Reply, []>('pauseLead');
export const resumeUpdate = defineUpdate<Reply, []>('resumeLead');
export const enrollUpdate = defineUpdate<Reply, [z.infer<typeof enrollSchema>]>('enroll');
export const exitUpdate = defineUpdate<Reply, [z.infer<typeof exitSchema>]>('exit');
export const outcomeUpdate = defineUpdate<Reply, [z.infer<typeof outcomeSchema>]>('outcome');

/** What the `state` query answers: the lead as the engine sees it now. */
export interface LeadView {
  leadId: string;
  stage: string;
  scores: Scores;
  tier: string;
  multiplier: number;
  sequence?: { id: string; version: string; step?: string; stepIndex: number; enrolledAt: string };
  nextTouchAt?: string;
  consent: Record<string, boolean>;
  consentReasons: Record<string, string>;
  optedDown: boolean;
  holdout: boolean;
  paused: boolean;
  openHandoff?: { id: string; openedAt: string };
  recontactAt?: string;
  counters: Record<string, number>;
  history: { id: string; reason: string; at: string }[];
}
export const stateQuery = defineQuery<LeadView>('state');

export const schemas = { event: leadEventSchema, profileUpdated: profileChangeSchema, consentChanged: consentChangeSchema, handoffOutcome: handoffOutcomeSchema };

// --- sales handoff workflow --------------------------------------------------------------------

export interface HandoffOptions {
  /** How long a rep has to act before the handoff escalates (default 1h). */
  sla?: string;
  /** Escalations (reassign + manager notice) before the lead goes back to nurture (default 2). */
  maxEscalations?: number;
}

/** A rep's rejection: the note, free text, stays in PostgreSQL (the API writes it); histories recorded before carry it here. */
export const rejectSchema = z.object({ reasonCode: z.enum(RECYCLE_REASONS), note: z.string().max(2000).optional(), by: z.string().max(200).optional() });
export const acceptSchema = z.object({ by: z.string().max(200).optional() });

export const acceptSignal = defineSignal<[z.infer<typeof acceptSchema>]>('accept');
export const rejectSignal = defineSignal<[{ reasonCode: RecycleReason; by?: string }]>('reject');
export const meetingBookedSignal = defineSignal<[z.infer<typeof acceptSchema>]>('meetingBooked');

/**
 * A rep's decision as an update: the first one wins and is answered with the task's new state; a
 * later one is refused with who decided what (the API answers 409). The signals above stay for
 * decisions sent before updates, and for histories that carry them.
 */
export const decisionSchema = z.discriminatedUnion('action', [
  acceptSchema.extend({ action: z.literal('accept') }),
  acceptSchema.extend({ action: z.literal('meeting-booked') }),
  rejectSchema.omit({ note: true }).extend({ action: z.literal('reject') }),
]);
export type DecisionMessage = z.infer<typeof decisionSchema>;
export const decideUpdate = defineUpdate<HandoffTaskView, [DecisionMessage]>('decide');

/**
 * Desk actions (since patch desk-actions) change who has the open task or when it is due, and decide
 * nothing: `reassign` hands it to the rep `to` (or, without `to`, to the next rep by the routing
 * rules, the owner excluded) with a fresh SLA and no escalation counted; `snooze` is the owner's
 * promise to act by `until`, which becomes the SLA's due time. Each is answered with the task's new
 * state. The note, free text, stays in PostgreSQL (the API writes it), as a decision's does.
 */
export const reassignSchema = z.object({
  to: z.string().trim().min(1).max(64).optional(),
  by: z.string().max(200).optional(),
  note: z.string().max(2000).optional(),
});
export const snoozeSchema = z.object({ until: z.iso.datetime({ offset: true }), by: z.string().max(200).optional() });
type ReassignMessage = Omit<z.infer<typeof reassignSchema>, 'note'>;
type SnoozeMessage = z.infer<typeof snoozeSchema>;
export const reassignUpdate = defineUpdate<HandoffTaskView, [ReassignMessage]>('reassign');
export const snoozeUpdate = defineUpdate<HandoffTaskView, [SnoozeMessage]>('snooze');

/** How far ahead an owner may push the task's due time. */
const SNOOZE_LIMIT_MS = 7 * 24 * 60 * 60 * 1000;

/** Why a snooze until `until` is refused at `now` (the workflow's time, or the API's), if it is. */
export function snoozeRefusal(until: string, now: number): string | undefined {
  const at = Date.parse(until);
  if (!(at > now)) return `until ${until} is not in the future`;
  if (at > now + SNOOZE_LIMIT_MS) return `until ${until} is more than 7 days ahead`;
  return undefined;
}

export interface HandoffTaskView {
  id: string;
  leadId: string;
  status: HandoffStatus;
  owner?: string;
  escalations: number;
  slaDueAt: string;
  /** When the owner promised to act by, while that is the due time (a snooze). */
  snoozedUntil?: string;
  reasonCode?: RecycleReason;
  note?: string;
}
export const taskQuery = defineQuery<HandoffTaskView>('task');
