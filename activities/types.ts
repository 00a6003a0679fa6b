// The activity contracts the workflows call. Workflows import these types only; the implementations
// (Postgres, channels) are built by factories that receive their dependencies.
import type { RecycleReason } from '../core/model/tuning';
import type { Catalog, Decision, HandoffOutcome, HandoffRequest, LeadSnapshot, SendFailure, Touch } from '../core/protocol';

export interface LeadActivities {
  /** The model and sequences, including the versions running leads have pinned. */
  loadCatalog(request: { versions: string[] }): Promise<Catalog>;
  /** The fingerprint of the catalog the worker runs now: a lead reloads its catalog when it differs (patch catalog-refresh). */
  catalogVersion(): Promise<string>;
  /** Writes what the engine decided (stage changes, consent, sequence moves, deferrals, skips). */
  recordDecisions(request: { leadId: string; decisions: Decision[]; snapshot: LeadSnapshot }): Promise<void>;
}

export type DeliveryResult =
  | { status: 'sent'; providerId?: string }
  /** The ledger shows this touch already went out: a retry or a replayed command. */
  | { status: 'duplicate' }
  /** Permanent: the engine closes the channel with this reason. */
  | { status: 'failed'; reason: SendFailure; detail?: string };

export interface DeliveryActivities {
  /** Sends the touch to the lead as PostgreSQL has it now: its address never travels through the workflow. */
  deliverTouch(request: {
    workflowId: string;
    touch: Touch;
    /** For personal lines in templates: the last download, the last page read. */
    context?: Record<string, unknown>;
  }): Promise<DeliveryResult>;
}

/** Sends run on one task queue per channel, so each provider's rate limit is set on its own queue. */
export function sendTaskQueue(channel: Touch['channel']): string {
  return `${channel.replace('_', '-')}-send`;
}

export interface HandoffActivities {
  /** A rep by territory/segment rules, else round robin over active reps, never one in `exclude`. */
  /**
   * `sla` (given since patch working-time-sla): the time the rep has, counted in their working
   * hours from when they start, or their team's SLA; the answer's `slaDueAt` is when it runs out.
   */
  /**
   * Since patch desk-actions, `round` is given (the workflow counts its rounds, so a reassignment
   * has one of its own), and `reassign` when a manager hands the task on: to the active rep `to`
   * (rule `manual`), or by the rules; a rep who is unknown or inactive, or nobody to take it, is a
   * non-retryable failure (`UnknownRep`, `NoRepAvailable`) and records no round.
   */
  assignRep(request: {
    handoffId: string;
    lead: HandoffRequest['profile'];
    exclude: string[];
    sla?: string;
    round?: number;
    reassign?: { to?: string; by?: string };
  }): Promise<{ owner?: string; slaDueAt?: number }>;
  openHandoffTask(request: { handoff: HandoffRequest; owner?: string; slaDueAt: number }): Promise<void>;
  /** `round` (since patch desk-actions): the owner's assignment round, which keys the notice and its alerts. */
  notifyRep(request: { handoffId: string; leadId: string; owner?: string; escalation: number; notifyManager: boolean; round?: number }): Promise<void>;
  reassignHandoffTask(request: { handoffId: string; owner?: string; escalations: number; slaDueAt: number }): Promise<void>;
  /** A desk action (since patch desk-actions): the open task's owner and due time, no escalation counted. */
  moveHandoffTask(request: { handoffId: string; owner?: string; slaDueAt: number; action: 'reassigned' | 'snoozed'; by?: string }): Promise<void>;
  closeHandoffTask(request: { handoffId: string; status: HandoffOutcome; reasonCode?: RecycleReason; note?: string; by?: string }): Promise<void>;
}
