// Ingestion that loses nothing: an event is written to PostgreSQL first (its id is the
// deduplication key), then signalled to its lead's workflow. Under load the work is shared: the
// requests that arrive while one store is under way are stored together in the next statement
// (group commit: each still answered only once its events are committed), and the leads that have
// events pending are delivered in rounds, one transaction a round, each lead's events in order and
// as many as fit in one signal. When Temporal is unreachable events stay pending and a sweep
// delivers them once it is back. Delivery is at least once; the engine drops a repeated event id.
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { revocationIn } from '../core/model/consent';
import type { LeadEvent } from '../core/model/events';
import { recordConsent } from '../db/repositories/consent';
import { leadsWithPendingEvents, storeEventGroups, storeEvents, withPendingEvents, type StoredEvents } from '../db/repositories/events';
import { groupWhileBusy } from './groupWhileBusy';
import { sendLeadEvents, type LeadStartOptions } from './leadWorkflows';

export interface RelayOptions {
  start?: LeadStartOptions;
  /** How often pending events left behind by an outage are looked for. */
  sweepIntervalMs?: number;
  /** How long one signal may take, retries included, before the event is left to the sweep. */
  signalTimeoutMs?: number;
  onError?: (err: unknown, leadId: string) => void;
}

/** What one signal carries at most: far below Temporal's 2 MB payload limit, and few enough to fold in one workflow task. */
const SIGNAL_MAX_EVENTS = 100;
const SIGNAL_MAX_BYTES = 256 * 1024;
/** Requests stored in one statement at most. */
const STORE_GROUP_MAX_REQUESTS = 500;
/** Leads in one delivery round at most, and rounds under way at once: a slow signal holds up only its round. */
const ROUND_MAX_LEADS = 200;
const ROUNDS_AT_ONCE = 4;
/** A lead another process is delivering is tried again this soon, until its delivery has held it this long (longer than one signal may take). */
const HELD_RETRY_MS = 20;
const HELD_GIVE_UP_MS = 15_000;

/** Who waits for a lead's delivery, and since when another process has held it, if it has. */
interface Waiting {
  resolvers: Array<() => void>;
  heldSince?: number;
}

export class EventRelay {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  /** Rounds under way and retries waiting: what `stop` waits for. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Leads with events to deliver; a lead in a round under way waits here for the next round. */
  private readonly wanted = new Map<string, Waiting>();
  private readonly inRound = new Set<string>();
  private rounds = 0;
  private readonly stores = groupWhileBusy<LeadEvent[], StoredEvents>((groups) => this.storeGroups(groups), STORE_GROUP_MAX_REQUESTS);

  constructor(
    private readonly pool: Pool,
    private readonly client: Client,
    private readonly options: RelayOptions = {},
  ) {}

  /**
   * Takes events in: stored is accepted (a repeated id counts as a duplicate), and they are signalled
   * now, without waiting, or by the sweep once Temporal is reachable. A spam complaint or a reply
   * asking to stop is taken as the unsubscribe it is, its consent fact recorded before the answer.
   */
  async accept(events: LeadEvent[]): Promise<StoredEvents> {
    const taken = events.map((event) => revocationIn(event) ?? event);
    const stored = await this.stores.load(taken);
    const revocations = events.filter((event, i) => taken[i] !== event && stored.leadIds.includes(event.leadId));
    await recordConsent(
      this.pool,
      revocations.map((revocation) => ({
        leadId: revocation.leadId,
        channel: revocation.type === 'sms_reply' ? 'sms' : 'email',
        granted: false,
        source: revocation.type,
        evidence: { eventId: revocation.eventId },
        at: Date.parse(revocation.occurredAt),
        key: `reply:${revocation.eventId}`,
      })),
    );
    void this.deliver(stored.leadIds);
    return stored;
  }

  /** Delivers what is pending for these leads now; failures leave events pending for the sweep. */
  deliver(leadIds: string[]): Promise<void> {
    const delivered = Promise.all(leadIds.map((leadId) => this.want(leadId))).then(() => undefined);
    this.startRounds();
    return delivered;
  }

  /** Delivers every pending event, lead by lead (one sweep at a time). */
  async sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        await this.deliver(await leadsWithPendingEvents(this.pool));
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  start(): void {
    const interval = this.options.sweepIntervalMs ?? 5_000;
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), interval);
    this.timer.unref();
  }

  /** Stops sweeping and waits for the deliveries under way (each signal bounded by signalTimeoutMs). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping?.catch(() => undefined);
    // A round that ends starts the next for the leads that waited for it.
    while (this.inFlight.size) await Promise.all(this.inFlight);
  }

  /**
   * One statement for the group. A value PostgreSQL refuses in one request's events would fail it
   * for all: then each request is stored alone, so that only that one fails.
   */
  private storeGroups(groups: readonly LeadEvent[][]): Promise<Array<StoredEvents | Error>> {
    return storeEventGroups(this.pool, [...groups]).catch((err: Error) => (groups.length > 1 ? this.storeEachAlone(groups) : [err]));
  }

  /** In the order they came, so that a repeated id is still the later request's duplicate. */
  private async storeEachAlone(groups: readonly LeadEvent[][]): Promise<Array<StoredEvents | Error>> {
    const results: Array<StoredEvents | Error> = [];
    for (const group of groups) results.push(await storeEvents(this.pool, group).catch((err: Error) => err));
    return results;
  }

  private want(leadId: string): Promise<void> {
    const waiting = this.wanted.get(leadId) ?? { resolvers: [] };
    this.wanted.set(leadId, waiting);
    return new Promise((resolve) => waiting.resolvers.push(resolve));
  }

  /** Starts rounds for the wanted leads that no round under way has, as many as may run. */
  private startRounds(): void {
    while (this.rounds < ROUNDS_AT_ONCE) {
      const leadIds = [...this.wanted.keys()].filter((leadId) => !this.inRound.has(leadId)).slice(0, ROUND_MAX_LEADS);
      if (!leadIds.length) return;
      const round = new Map(leadIds.map((leadId) => [leadId, this.wanted.get(leadId)!]));
      for (const leadId of leadIds) {
        this.wanted.delete(leadId);
        this.inRound.add(leadId);
      }
      this.rounds += 1;
      this.track(
        this.deliverRound(round).finally(() => {
          for (const leadId of leadIds) this.inRound.delete(leadId);
          this.rounds -= 1;
          this.startRounds();
        }),
      );
    }
  }

  /** One transaction: the round's leads locked, their pending events signalled, what was signalled marked. */
  private async deliverRound(round: Map<string, Waiting>): Promise<void> {
    const failures = new Map<string, unknown>();
    let held = new Set<string>();
    try {
      const result = await withPendingEvents(this.pool, [...round.keys()], (pending) => this.signal(pending, failures));
      held = new Set(result.held);
    } catch (err) {
      for (const leadId of round.keys()) failures.set(leadId, err);
    }
    for (const [leadId, err] of failures) this.options.onError?.(err, leadId);
    for (const [leadId, waiting] of round) {
      if (held.has(leadId)) this.retryHeld(leadId, waiting);
      else for (const resolve of waiting.resolvers) resolve();
    }
  }

  /** Each lead's events in signals, in order, the leads at once; answers the ids signalled. A lead stops at its first failure. */
  private async signal(pending: Map<string, LeadEvent[]>, failures: Map<string, unknown>): Promise<string[]> {
    const signalled: string[] = [];
    await Promise.all(
      [...pending].map(async ([leadId, events]) => {
        try {
          for (const signal of signalSized(events)) {
            const deadline = Date.now() + (this.options.signalTimeoutMs ?? 10_000);
            await this.client.withDeadline(deadline, () => sendLeadEvents(this.client, leadId, signal, this.options.start));
            signalled.push(...signal.map((event) => event.eventId));
          }
        } catch (err) {
          failures.set(leadId, err);
        }
      }),
    );
    return signalled;
  }

  /**
   * Another process is delivering this lead: its events stored since that one looked are tried
   * again shortly, rather than left to the sweep, unless that delivery seems stuck.
   */
  private retryHeld(leadId: string, waiting: Waiting): void {
    const heldSince = waiting.heldSince ?? Date.now();
    if (Date.now() - heldSince > HELD_GIVE_UP_MS) {
      this.options.onError?.(new Error(`another process has held this lead's delivery for over ${HELD_GIVE_UP_MS} ms; its events are left to the sweep`), leadId);
      for (const resolve of waiting.resolvers) resolve();
      return;
    }
    this.track(
      new Promise<void>((resolve) => setTimeout(resolve, HELD_RETRY_MS)).then(() => {
        const merged = this.wanted.get(leadId) ?? { resolvers: [] };
        this.wanted.set(leadId, { resolvers: [...waiting.resolvers, ...merged.resolvers], heldSince: Math.min(heldSince, merged.heldSince ?? Infinity) });
        this.startRounds();
      }),
    );
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    const settled = () => void this.inFlight.delete(work);
    work.then(settled, settled);
  }
}

/** Splits events, in order, into runs that each fit in one signal. */
function signalSized(events: LeadEvent[]): LeadEvent[][] {
  const signals: LeadEvent[][] = [];
  let bytes = 0;
  for (const event of events) {
    const size = JSON.stringify(event).length;
    const last = signals.at(-1);
    if (last && last.length < SIGNAL_MAX_EVENTS && bytes + size <= SIGNAL_MAX_BYTES) {
      last.push(event);
      bytes += size;
    } else {
      signals.push([event]);
      bytes = size;
    }
  }
  return signals;
}
