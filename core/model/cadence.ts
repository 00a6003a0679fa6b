// Cadence: how far apart touches are (tier × base gap), and when a touch may go out at all
// (frequency caps over rolling windows, send windows in the lead's zone). A blocked touch is
// deferred to the next allowed instant, never dropped.
import { durationMs } from './duration';
import type { Channel } from './events';
import type { CadenceModel } from './tuning';
import { nextInstantInsideAll, type SendWindow } from './sendWindow';
import type { Tier } from './stages';

export interface CadenceState {
  tier: Tier;
  /** Multiplies every base gap; grows with each unanswered touch, back to 1 on intent. */
  multiplier: number;
  /** Touches in a row that went out with no intent signal after the one before. */
  unanswered: number;
  lastTouchAt?: number;
}

export const initialCadence: CadenceState = { tier: 'active', multiplier: 1, unanswered: 0 };

/** Channels that reach the lead, and so count against caps. */
const CAPPED_CHANNELS = ['email', 'sms', 'in_app'] as const;
export type CappedChannel = (typeof CAPPED_CHANNELS)[number];
/** Recent send times per capped channel, newest last; only as many as a cap can look at. */
export type SendLog = Record<CappedChannel, number[]>;

export const emptySendLog: SendLog = { email: [], sms: [], in_app: [] };

/** The cadence after a touch goes out: an unanswered previous touch stretches what follows. */
export function afterTouch(cadence: CadenceState, lastIntentAt: number | undefined, now: number, model: CadenceModel): CadenceState {
  // A signal at the very instant of the touch cannot be an answer to it.
  const previousUnanswered = cadence.lastTouchAt !== undefined && (lastIntentAt ?? -Infinity) <= cadence.lastTouchAt;
  const unanswered = previousUnanswered ? cadence.unanswered + 1 : 0;
  const multiplier = Math.max(cadence.multiplier, Math.min(model.maxMultiplier, Math.pow(model.coolingStretch, unanswered)));
  const tier: Tier = unanswered >= model.dormantAfterUnanswered || cadence.tier === 'dormant' ? 'dormant' : multiplier > 1 ? 'cooling' : 'active';
  return { tier, multiplier, unanswered, lastTouchAt: now };
}

/** An intent signal returns the lead to the active tier. */
export function afterIntent(cadence: CadenceState): CadenceState {
  if (cadence.tier === 'active' && cadence.multiplier === 1 && cadence.unanswered === 0) return cadence;
  return { ...cadence, tier: 'active', multiplier: 1, unanswered: 0 };
}

/** Long silence alone (no intent since `lastEngagedAt`) also makes a lead dormant. */
export function afterSilence(cadence: CadenceState, lastEngagedAt: number, now: number, model: CadenceModel): CadenceState {
  if (cadence.tier === 'dormant' || now - lastEngagedAt < durationMs(model.dormantAfterSilence)) return cadence;
  return { ...cadence, tier: 'dormant' };
}

/** The gap a wait step of `baseMs` lasts for this lead now. */
export function gapMs(baseMs: number, cadence: CadenceState, optedDown: boolean, model: CadenceModel): number {
  // A sequence may cap the stretch lower than the lead has reached elsewhere (the monthly pool).
  const gap = baseMs * Math.min(cadence.multiplier, model.maxMultiplier) * (optedDown ? model.optDownFactor : 1);
  return Math.round(cadence.tier === 'dormant' ? Math.max(gap, durationMs(model.dormantGap)) : gap);
}

export function recordSend(log: SendLog, channel: Channel, at: number, model: CadenceModel): SendLog {
  if (!isCapped(channel)) return log;
  // A cap can only ever look at its `limit` newest sends: keep no more than the largest limit.
  const keep = Math.max(model.caps[channel].limit, model.caps.all.limit, 1);
  return { ...log, [channel]: [...log[channel], at].slice(-keep) };
}

export function isCapped(channel: Channel): channel is CappedChannel {
  return (CAPPED_CHANNELS as readonly string[]).includes(channel);
}

interface CapCheck {
  cap: string;
  /** The channels whose sends count against it. */
  channels: readonly CappedChannel[];
  windowMs: number;
  limit: number;
}

const OWN_CHANNEL: Record<CappedChannel, readonly CappedChannel[]> = { email: ['email'], sms: ['sms'], in_app: ['in_app'] };

/** The caps a touch on `channel` must fit: the channel's own (halved for opted-down leads) and all. */
function capChecks(channel: CappedChannel, optedDown: boolean, model: CadenceModel): CapCheck[] {
  const own = model.caps[channel];
  return [
    { cap: channel, channels: OWN_CHANNEL[channel], windowMs: durationMs(own.window), limit: optedDown ? Math.min(own.limit, Math.max(1, Math.floor(own.limit / 2))) : own.limit },
    { cap: 'all', channels: CAPPED_CHANNELS, windowMs: durationMs(model.caps.all.window), limit: model.caps.all.limit },
  ];
}

const isWithin = (sentAt: number, check: CapCheck, at: number) => sentAt > at - check.windowMs && sentAt <= at;

/** How many sends count against the cap at `at`. */
function countWithin(log: SendLog, check: CapCheck, at: number): number {
  let count = 0;
  for (const channel of check.channels) for (const sentAt of log[channel]) if (isWithin(sentAt, check, at)) count++;
  return count;
}

/** The sends that count against the cap at `at`, oldest first. */
function sendsWithin(log: SendLog, check: CapCheck, at: number): number[] {
  const within: number[] = [];
  for (const channel of check.channels) for (const sentAt of log[channel]) if (isWithin(sentAt, check, at)) within.push(sentAt);
  return within.sort((a, b) => a - b);
}

export interface CapUse {
  cap: string;
  used: number;
  limit: number;
}

/** How much of each cap that applies to `channel` is used at `at`. */
export function capUse(log: SendLog, channel: Channel, at: number, optedDown: boolean, model: CadenceModel): CapUse[] {
  if (!isCapped(channel)) return [];
  return capChecks(channel, optedDown, model).map((check) => ({ cap: check.cap, used: countWithin(log, check, at), limit: check.limit }));
}

/** The latest send on any capped channel at or before `at`; -Infinity when there is none. */
function lastSendAt(log: SendLog, at: number): number {
  let last = -Infinity;
  for (const channel of CAPPED_CHANNELS) for (const sentAt of log[channel]) if (sentAt <= at && sentAt > last) last = sentAt;
  return last;
}

/** The first instant at or after `at` when every cap of the channel has room, or undefined if never; with the caps blocking, and each cap's use at `at`. */
function capsOpenAt(log: SendLog, channel: Channel, at: number, optedDown: boolean, model: CadenceModel): { at: number; caps: string[]; used: CapUse[] } | undefined {
  if (!isCapped(channel)) return { at, caps: [], used: [] };
  let openAt = at;
  const blocking: string[] = [];
  const used: CapUse[] = [];
  const spacedAt = lastSendAt(log, at) + durationMs(model.minSpacing);
  if (spacedAt > at) {
    openAt = spacedAt;
    blocking.push('spacing');
  }
  for (const check of capChecks(channel, optedDown, model)) {
    if (check.limit <= 0) return undefined;
    const count = countWithin(log, check, at);
    used.push({ cap: check.cap, used: count, limit: check.limit });
    // Counted first: only a full cap needs its sends in order.
    if (count < check.limit) continue;
    const inWindow = sendsWithin(log, check, at);
    // Room opens when enough of the oldest sends in the window have aged out of it.
    openAt = Math.max(openAt, inWindow[inWindow.length - check.limit]! + check.windowMs);
    blocking.push(check.cap);
  }
  return { at: openAt, caps: blocking, used };
}

export interface SendSlot {
  at: number;
  /** Why the slot is later than asked: `cap:email`, `cap:all`, `window:email`. */
  reasons: string[];
  /** How much of each cap on the channel a send at the slot finds used (capUse at `at`): the audit of a send. */
  caps: CapUse[];
}

/**
 * The first instant at or after `from` when a touch on `channel` may go out: inside every cap, and
 * inside the channel's send window and the legal `hours` (SMS quiet hours by place) in every one of
 * `zones` (the lead's zone, or each it may be in). Undefined when it never may (a zero cap, a
 * window with no days, zones too far apart to share an hour).
 */
export function nextSendSlot(log: SendLog, channel: Channel, from: number, zones: readonly string[], optedDown: boolean, model: CadenceModel, hours: SendWindow[][] = []): SendSlot | undefined {
  let at = from;
  const reasons = new Set<string>();
  const rules = [[model.windows[channel]], ...hours];
  // Caps and windows push each other later; a handful of rounds always settles.
  for (let round = 0; round < 16; round++) {
    const caps = capsOpenAt(log, channel, at, optedDown, model);
    if (!caps) return undefined;
    caps.caps.forEach((cap) => reasons.add(`cap:${cap}`));
    const open = nextInstantInsideAll(caps.at, rules, zones);
    if (open === undefined) return undefined;
    if (open > caps.at) reasons.add(`window:${channel}`);
    if (open === at) return { at, reasons: [...reasons], caps: caps.used };
    at = open;
  }
  return { at, reasons: [...reasons], caps: capUse(log, channel, at, optedDown, model) };
}
