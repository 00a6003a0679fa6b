// In-app messages: one row per in-app touch, listed per lead, stamped seen or dismissed, and
// announced through LISTEN/NOTIFY on every change, so a stream in any process sees the changes
// made anywhere.
import { on, EventEmitter } from 'node:events';
import type { Client, Pool } from 'pg';
import { z } from 'zod';
import { listenOn, type Database } from '../pool';

/** The NOTIFY channel every change to an in-app message is announced on. */
const NOTIFY_CHANNEL = 'in_app_messages';

export interface InAppMessage {
  id: string;
  leadId: string;
  /** The send's idempotency key. */
  sendId: string;
  title?: string;
  body: string;
  createdAt: string;
  seenAt?: string;
  dismissedAt?: string;
}

export type InAppUpdate = { kind: 'created'; message: InAppMessage } | { kind: 'seen' | 'dismissed'; messageId: string; at: string };

interface MessageRow {
  id: string;
  lead_id: string;
  send_key: string;
  title: string | null;
  body: string;
  created_at: Date;
  seen_at: Date | null;
  dismissed_at: Date | null;
}

const MESSAGE_COLUMNS = 'id, lead_id, send_key, title, body, created_at, seen_at, dismissed_at';

function messageOf(row: MessageRow): InAppMessage {
  return {
    id: row.id,
    leadId: row.lead_id,
    sendId: row.send_key,
    ...(row.title !== null ? { title: row.title } : {}),
    body: row.body,
    createdAt: row.created_at.toISOString(),
    ...(row.seen_at ? { seenAt: row.seen_at.toISOString() } : {}),
    ...(row.dismissed_at ? { dismissedAt: row.dismissed_at.toISOString() } : {}),
  };
}

/** Stores the message of a send once (a retried delivery finds it) and announces it; returns its id. */
export async function storeInAppMessage(db: Database, message: { sendKey: string; leadId: string; title?: string; body: string }): Promise<string> {
  // Stored and announced in one statement: NOTIFY goes out when the row is committed.
  const { rows } = await db.query<{ id: string }>(
    `WITH stored AS (
       INSERT INTO in_app_messages (send_key, lead_id, title, body) VALUES ($1, $2, $3, $4)
       ON CONFLICT (send_key) DO UPDATE SET send_key = EXCLUDED.send_key
       RETURNING id, lead_id
     )
     SELECT id, pg_notify($5, json_build_object('leadId', lead_id, 'messageId', id, 'kind', 'created')::text) FROM stored`,
    [message.sendKey, message.leadId, message.title ?? null, message.body, NOTIFY_CHANNEL],
  );
  return rows[0]!.id;
}

/** The lead's messages that are not dismissed, newest first. */
export async function listInAppMessages(db: Database, leadId: string): Promise<InAppMessage[]> {
  const { rows } = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM in_app_messages WHERE lead_id = $1 AND dismissed_at IS NULL ORDER BY created_at DESC, id`,
    [leadId],
  );
  return rows.map(messageOf);
}

/**
 * Stamps the lead's message seen or dismissed (the first time counts) and announces it; undefined
 * when the lead has no such message. `messageId` must be a UUID.
 */
export async function stampInAppMessage(db: Database, leadId: string, messageId: string, kind: 'seen' | 'dismissed'): Promise<{ sendKey: string; at: Date } | undefined> {
  const column = kind === 'seen' ? 'seen_at' : 'dismissed_at';
  const { rows } = await db.query<{ send_key: string; at: Date }>(
    `WITH stamped AS (
       UPDATE in_app_messages SET ${column} = COALESCE(${column}, now()) WHERE id = $1 AND lead_id = $2
       RETURNING id, lead_id, send_key, ${column} AS at
     )
     SELECT send_key, at, pg_notify($3, json_build_object('leadId', lead_id, 'messageId', id, 'kind', $4::text, 'at', at)::text) FROM stamped`,
    [messageId, leadId, NOTIFY_CHANNEL, kind],
  );
  return rows[0] && { sendKey: rows[0].send_key, at: rows[0].at };
}

const notificationSchema = z.object({
  leadId: z.string(),
  messageId: z.string(),
  kind: z.enum(['created', 'seen', 'dismissed']),
  at: z.string().optional(),
});

type Notification = z.infer<typeof notificationSchema>;

function parseNotification(payload: string | undefined): Notification | undefined {
  try {
    const parsed = notificationSchema.safeParse(JSON.parse(payload ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Live updates of in-app messages per lead, from one LISTENing connection per process. Every
 * process that writes messages NOTIFYs, so a stream sees the changes made anywhere.
 */
export class InAppStream {
  private readonly emitter = new EventEmitter();
  /** Notifications are handled one after the other, so a lead's updates keep their order. */
  private handled = Promise.resolve();

  private constructor(
    private readonly pool: Pool,
    private readonly listener: Client,
  ) {
    this.emitter.setMaxListeners(0);
    listener.on('notification', ({ channel, payload }) => {
      const notification = channel === NOTIFY_CHANNEL ? parseNotification(payload) : undefined;
      if (!notification) return;
      this.handled = this.handled.then(() => this.publish(notification)).catch((err: unknown) => this.fail(err));
    });
    listener.on('error', (err) => this.fail(err));
  }

  /** Resolves once listening: nothing committed after that is missed. */
  static async listen(pool: Pool): Promise<InAppStream> {
    return new InAppStream(pool, await listenOn(pool, NOTIFY_CHANNEL));
  }

  /**
   * The lead's updates from this call on, until `signal` aborts (then the iteration just ends).
   * Subscribed at once, not at the first next(), so nothing between the two is lost.
   */
  updates(leadId: string, signal: AbortSignal): AsyncIterableIterator<InAppUpdate> {
    const events = on(this.emitter, `lead:${leadId}`, { signal });
    return (async function* () {
      try {
        for await (const [update] of events) yield update as InAppUpdate;
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    })();
  }

  async close(): Promise<void> {
    await this.listener.end();
  }

  /** A lost connection ends every lead's stream with the error (an SSE client reconnects). */
  private fail(err: unknown): void {
    if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', err);
  }

  private async publish(notification: Notification): Promise<void> {
    const topic = `lead:${notification.leadId}`;
    if (this.emitter.listenerCount(topic) === 0) return;
    if (notification.kind !== 'created') {
      this.emitter.emit(topic, { kind: notification.kind, messageId: notification.messageId, at: new Date(notification.at!).toISOString() });
      return;
    }
    const { rows } = await this.pool.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM in_app_messages WHERE id = $1`, [notification.messageId]);
    if (rows[0]) this.emitter.emit(topic, { kind: 'created', message: messageOf(rows[0]) } satisfies InAppUpdate);
  }
}
