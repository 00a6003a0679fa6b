// Ingestion that loses nothing: an event is written to PostgreSQL first (its id is the
// deduplication key), then signalled to its lead's workflow. The relay delivers each lead's pending
// events in order, as many as fit in one signal, and marks them; when Temporal is unreachable they
// stay pending and a sweep delivers them once it is back. Delivery is at least once; the engine
// drops a repeated event id.
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { revocationIn } from '../core/model/consent';
import type { LeadEvent } from '../core/model/events';
import { recordConsent } from '../db/repositories/consent';
import { leadsWithPendingEvents, storeEvents, withPendingEvents, type StoredEvents } from '../db/repositories/events';
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

export class EventRelay {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** The delivery running for each lead in this process, and whether events arrived since it looked. */
  private readonly delivering = new Map<string, { again: boolean; done: Promise<void> }>();

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
    const stored = await storeEvents(this.pool, taken);
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
  async deliver(leadIds: string[]): Promise<void> {
    const delivery = Promise.all(leadIds.map((leadId) => this.deliverLead(leadId).catch((err) => this.options.onError?.(err, leadId)))).then(() => undefined);
    this.inFlight.add(delivery);
    await delivery.finally(() => this.inFlight.delete(delivery));
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

  /** Stops sweeping and waits for the deliveries under way (each bounded by signalTimeoutMs). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([this.sweeping?.catch(() => undefined), ...this.inFlight]);
  }

  /**
   * One delivery per lead at a time in this process. Events stored while it runs are taken by its
   * next round, so they neither wait for the sweep nor cost a signal each: under load, a lead's
   * events gather into fewer, larger signals.
   */
  private deliverLead(leadId: string): Promise<void> {
    const running = this.delivering.get(leadId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const delivery = { again: true, done: Promise.resolve() };
    this.delivering.set(leadId, delivery);
    delivery.done = (async () => {
      try {
        while (delivery.again) {
          delivery.again = false;
          await this.deliverPending(leadId);
        }
      } finally {
        this.delivering.delete(leadId);
      }
    })();
    return delivery.done;
  }

  /** One lead's pending events in order, as many as fit in each signal, each signal's marked once it is accepted. */
  private deliverPending(leadId: string): Promise<void> {
    return withPendingEvents(this.pool, leadId, async (events, markDelivered) => {
      for (const signal of signalSized(events)) {
        const deadline = Date.now() + (this.options.signalTimeoutMs ?? 10_000);
        await this.client.withDeadline(deadline, () => sendLeadEvents(this.client, leadId, signal, this.options.start));
        await markDelivered(signal.map((event) => event.eventId));
      }
    });
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
