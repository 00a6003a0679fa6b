// The sales desk in the browser: sign-in links mailed to reps, who sees which tasks (a rep their
// own; a manager also their reports' and the unassigned ones), and the live feed of task changes.
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter, on } from 'node:events';
import type { Client, Pool } from 'pg';
import { z } from 'zod';
import { listenOn, type Database } from '../pool';
import { taskOf, type HandoffRow, type HandoffTask } from './handoffs';

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** A one-time sign-in token for an active rep with this email; undefined when there is none. */
export async function createSignIn(db: Database, email: string, ttlMs: number): Promise<{ token: string; repId: string; name: string } | undefined> {
  const { rows } = await db.query<{ id: string; name: string }>('SELECT id, name FROM reps WHERE lower(email) = lower($1) AND active', [email]);
  const rep = rows[0];
  if (!rep) return undefined;
  const token = randomBytes(24).toString('base64url');
  await db.query('INSERT INTO rep_sign_ins (token_hash, rep_id, expires_at) VALUES ($1, $2, $3)', [hashOf(token), rep.id, new Date(Date.now() + ttlMs)]);
  return { token, repId: rep.id, name: rep.name };
}

/** Uses the token up: the rep it was made for while it is unused, unexpired and the rep active. */
export async function redeemSignIn(db: Database, token: string): Promise<string | undefined> {
  const { rows } = await db.query<{ rep_id: string }>(
    `UPDATE rep_sign_ins s SET used_at = now() FROM reps r
     WHERE s.token_hash = $1 AND s.used_at IS NULL AND s.expires_at > now() AND r.id = s.rep_id AND r.active
     RETURNING s.rep_id`,
    [hashOf(token)],
  );
  return rows[0]?.rep_id;
}

export interface DeskRep {
  id: string;
  name: string;
  /** The active reps this rep manages (as their manager or their team's); empty for a rep who manages no one. */
  reports: { id: string; name: string }[];
}

/** An active rep and whom they manage; undefined once deactivated (their session ends with it). */
export async function findDeskRep(db: Database, id: string): Promise<DeskRep | undefined> {
  const { rows } = await db.query<{ id: string; name: string }>('SELECT id, name FROM reps WHERE id = $1 AND active', [id]);
  if (!rows[0]) return undefined;
  const reports = await db.query<{ id: string; name: string }>(
    `SELECT id, name FROM reps
     WHERE active AND id <> $1 AND (manager = $1 OR team IN (SELECT id FROM teams WHERE manager = $1))
     ORDER BY name`,
    [id],
  );
  return { ...rows[0], reports: reports.rows };
}

/** A task in the inbox's lists: who the lead is beside it (null once erased). */
export type DeskTask = HandoffTask & { lead: { name: string; company?: string; title?: string } | null };

type DeskRow = HandoffRow & { first_name: string | null; last_name: string | null; email: string | null; company: string | null; title: string | null; known: boolean };

function deskTaskOf(row: DeskRow): DeskTask {
  const name = [row.first_name, row.last_name].filter(Boolean).join(' ') || row.email || 'Unnamed lead';
  return { ...taskOf(row), lead: row.known ? { name, ...(row.company ? { company: row.company } : {}), ...(row.title ? { title: row.title } : {}) } : null };
}

const DESK_SELECT = `SELECT h.*, l.first_name, l.last_name, l.email, l.company, l.title, l.id IS NOT NULL AS known
  FROM handoffs h LEFT JOIN leads l ON l.id = h.lead_id`;

/** Open tasks of these owners (and the unassigned ones, when asked), the soonest due first. */
export async function openTasksOf(db: Database, owners: string[], unassigned: boolean): Promise<DeskTask[]> {
  const { rows } = await db.query<DeskRow>(
    `${DESK_SELECT} WHERE h.status = 'open' AND (h.owner = ANY($1) OR ($2 AND h.owner IS NULL))
     ORDER BY h.sla_due_at NULLS LAST, h.opened_at LIMIT 500`,
    [owners, unassigned],
  );
  return rows.map(deskTaskOf);
}

/** One owner's latest closed tasks, the latest first. */
export async function closedTasksOf(db: Database, owner: string, limit: number): Promise<DeskTask[]> {
  const { rows } = await db.query<DeskRow>(`${DESK_SELECT} WHERE h.status <> 'open' AND h.owner = $1 ORDER BY h.closed_at DESC NULLS LAST LIMIT $2`, [owner, limit]);
  return rows.map(deskTaskOf);
}

const CHANNEL = 'handoff_changes';
const changeSchema = z.object({ id: z.string(), owner: z.string().nullable(), previousOwner: z.string().nullable() });
export type HandoffChange = z.infer<typeof changeSchema>;

/** Every change to a handoff task, from one LISTENing connection per process (a trigger NOTIFYs on each write). */
export class HandoffFeed {
  private readonly emitter = new EventEmitter();

  private constructor(private readonly listener: Client) {
    this.emitter.setMaxListeners(0);
    listener.on('notification', ({ channel, payload }) => {
      const change = channel === CHANNEL ? changeSchema.safeParse(JSON.parse(payload ?? 'null')) : undefined;
      if (change?.success) this.emitter.emit('change', change.data);
    });
    // A lost connection ends every open stream (browsers reconnect and read the list afresh); with
    // none open, as when the database stops first on Ctrl-C, it is nobody's error.
    listener.on('error', (err) => {
      if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', err);
    });
  }

  /** Resolves once listening: nothing committed after that is missed. */
  static async listen(pool: Pool): Promise<HandoffFeed> {
    return new HandoffFeed(await listenOn(pool, CHANNEL));
  }

  /** The changes from this call on, until `signal` aborts. */
  async *changes(signal: AbortSignal): AsyncGenerator<HandoffChange> {
    try {
      for await (const [change] of on(this.emitter, 'change', { signal })) yield change as HandoffChange;
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  }

  async close(): Promise<void> {
    await this.listener.end();
  }
}
