// The shared vocabulary of the engine: what goes into the reducer (inputs), what comes out of it
// (commands, touches, handoff requests, replies), the catalog it reads, and the outcome and status
// names of sends and handoffs. Workflows, activities, the API and the CLI all speak it.
import type { Channel, ConsentChannel, LeadEvent } from './model/events';
import type { LeadTraits, ProfileUpdate } from './model/lead';
import type { Scores } from './model/scoring';
import type { SequenceDefinition } from './model/sequence';
import type { Stage } from './model/stages';
import type { Model, RecycleReason } from './model/tuning';

/** Everything the engine reads besides the lead: the model and the sequences it may run. */
export interface Catalog {
  model: Model;
  /** Definitions by version (content hash). */
  versions: Record<string, SequenceDefinition>;
  /** The version new enrolments get, by sequence id. */
  latest: Record<string, string>;
  /** Sequence ids tried in order at enrolment: the first whose audience matches wins. */
  routing: string[];
  /** For a lead that matches no routing rule. */
  defaultSequence: string;
  /** The long-term pool: dormant, finished and recycled leads. */
  longTermSequence: string;
  /** Its fingerprint (`catalogFingerprint`), as the worker that loaded it gives it. */
  version?: string;
}

/** How a sales handoff ends: a rep's decision, or `no_response` when every SLA ran out. */
export const HANDOFF_OUTCOMES = ['accepted', 'rejected', 'meeting_booked', 'no_response'] as const;
export type HandoffOutcome = (typeof HANDOFF_OUTCOMES)[number];
/** A handoff task is open until it has an outcome. */
export const HANDOFF_STATUSES = ['open', ...HANDOFF_OUTCOMES] as const;
export type HandoffStatus = (typeof HANDOFF_STATUSES)[number];

/** Permanent delivery failures: `invalid_phone` is a number no carrier takes, `rejected` a webhook receiver's 4xx. */
export const SEND_FAILURES = ['invalid_address', 'hard_bounce', 'suppressed', 'invalid_phone', 'rejected'] as const;
export type SendFailure = (typeof SEND_FAILURES)[number];

export type EngineInput =
  | { kind: 'event'; event: LeadEvent }
  | { kind: 'wake' }
  /** Traits that changed (a profile as histories recorded before traits carry it is read as its traits). */
  | { kind: 'profile'; profile: ProfileUpdate & LeadTraits }
  /** Consent given or refused; `at` is when (epoch ms), the engine's now when absent. */
  | { kind: 'consent'; channel: ConsentChannel; granted: boolean; source: string; at?: number }
  | { kind: 'handoffOutcome'; handoffId: string; outcome: HandoffOutcome; reasonCode?: RecycleReason; note?: string }
  | { kind: 'sendFailed'; channel: Channel; reason: SendFailure; detail?: string }
  | { kind: 'enroll'; sequenceId: string }
  | { kind: 'exit'; reason: string }
  | { kind: 'pause' }
  | { kind: 'resume' }
  /** A stage set from outside, e.g. the CRM marking an opportunity or a customer. */
  | { kind: 'stage'; stage: Stage; reason: string }
  /** What the CRM says became of the lead: an opportunity, a customer, or lost for a reason (recycled with its delay). */
  | { kind: 'crmOutcome'; outcome: CrmOutcome; reason?: RecycleReason };

export const CRM_OUTCOMES = ['opportunity_created', 'closed_won', 'closed_lost'] as const;
export type CrmOutcome = (typeof CRM_OUTCOMES)[number];

/** What the lead did lately, kept bounded in its state and handed to sales with a handoff. */
export interface PageVisit {
  url: string;
  category: string;
  at: number;
}
export interface Download {
  assetId: string;
  kind: string;
  at: number;
}
/** One step of the path that led to a handoff: an event key and when. */
export interface PathStep {
  key: string;
  at: number;
}

export interface Touch {
  /** Unique per touch: the ledger key that makes a send happen once. */
  idempotencyKey: string;
  leadId: string;
  channel: Channel;
  template?: string;
  offer?: string;
  webhook?: { target: string; event: string };
  sequenceId: string;
  sequenceVersion: string;
  stepId: string;
  touchNumber: number;
  at: number;
  /** The A/B test this touch is an exposure of (`<sequence>/<step>`), and the lead's variant. */
  experiment?: { id: string; variant: string };
  /** Why it went out: the rule, the score parts, the tier and the caps consulted. */
  why: { rule: string; tier: string; multiplier: number; scores: Scores; caps: { cap: string; used: number; limit: number }[] };
}

export interface HandoffRequest {
  id: string;
  number: number;
  leadId: string;
  reason: string;
  at: number;
  scores: Scores;
  /** The lead's traits; who the lead is, sales read from PostgreSQL. */
  profile: LeadTraits;
  recentPages: PageVisit[];
  downloads: Download[];
  path: PathStep[];
}

export type Command =
  | { type: 'send'; touch: Touch }
  | { type: 'startHandoff'; handoff: HandoffRequest }
  | { type: 'changeStage'; leadId: string; from: Stage; to: Stage; reason: string; at: number }
  | { type: 'enterSequence'; sequenceId: string; version: string; reason: string; at: number }
  | { type: 'exitSequence'; sequenceId: string; version: string; reason: string; at: number }
  | { type: 'touchDeferred'; sequenceId: string; stepId: string; channel: Channel; until: number; reasons: string[]; at: number }
  | { type: 'touchSkipped'; sequenceId: string; stepId: string; channel: Channel; reason: string; at: number }
  /** A planned touch called off before it was due (its channel was closed). */
  | { type: 'touchCanceled'; sequenceId: string; stepId: string; channel: Channel; reason: string; at: number }
  /** `recorded`: the fact came in through a door that stored it already (the API, a webhook). */
  | { type: 'consentChanged'; channel: ConsentChannel; granted: boolean; reason: string; at: number; recorded?: true }
  /** The lead entered an A/B test of a wait (a message's exposure is its send). */
  | { type: 'exposed'; sequenceId: string; version: string; stepId: string; experiment: { id: string; variant: string }; at: number }
  | { type: 'wakeAt'; at: number };

/** The commands the lead workflow records as decisions, as opposed to carrying them out. */
export type Decision = Exclude<Command, { type: 'send' | 'startHandoff' | 'wakeAt' }>;

export function isDecision(command: Command): command is Decision {
  return command.type !== 'send' && command.type !== 'startHandoff' && command.type !== 'wakeAt';
}

/** The wake-up among `commands`, if the engine asked for one. */
export function wakeAtOf(commands: Command[]): number | undefined {
  return commands.find((command): command is Extract<Command, { type: 'wakeAt' }> => command.type === 'wakeAt')?.at;
}

export type Reply = { accepted: true } | { accepted: false; reason: string };

/**
 * The behaviour changes of the engine a lead runs with. A lead workflow turns each on through its
 * patch (workflows/patches.ts), so a history recorded before a change replays without it; a new
 * lead, and `nurture simulate`, run with all of them.
 */
export interface EngineRules {
  /**
   * Consent as facts with a time (the latest stands, a refusal wins a tie), email consent by the
   * model's policy before any fact, and a revoked channel's planned touch cancelled at once.
   */
  consentFacts: boolean;
  /**
   * SMS in the lead's zone or, without one, in every zone its number or country may be in, inside
   * the legal hours of its place (model.smsHours); held until a zone is known.
   */
  smsZones: boolean;
  /** A message step with variants sends the lead's variant, and its touch names the experiment and the variant. */
  experiments: boolean;
  /** At a wake-up, a lead moves onto a newer version of its sequence as that version's `migration` says. */
  migrations: boolean;
  /** A message variant may send on another channel, and a wait may be an A/B test of its duration (its exposure recorded). */
  channelAndWaitVariants: boolean;
}

export const LATEST_RULES: EngineRules = { consentFacts: true, smsZones: true, experiments: true, migrations: true, channelAndWaitVariants: true };

/** The lead as lists and funnels read it, written with every batch of decisions. */
export interface LeadSnapshot {
  stage: string;
  tier: string;
  totalScore: number;
  sequenceId?: string;
  /** In the holdout group (gets no touches; the control for lift). */
  holdout: boolean;
  /** The lead-matrix cell (`A1`…`D4`), since patch `lead-segment`. */
  segment?: string;
}
