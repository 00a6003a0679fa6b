// Sales handoff tasks: one row per handoff workflow (`handoff-<leadId>-<n>`), written by its
// activities and read by sales through the API. Writes are conditional, so a retried activity or a
// late one changes nothing twice.
import type { HandoffOutcome, HandoffRequest, HandoffStatus } from '../../core/protocol';
import type { Database } from '../pool';

export interface HandoffRow {
  id: string;
  lead_id: string;
  status: HandoffStatus;
  owner: string | null;
  escalations: number;
  context: Record<string, unknown>;
  reason_code: string | null;
  note: string | null;
  opened_at: Date;
  sla_due_at: Date | null;
  closed_at: Date | null;
}

/** A handoff task as sales see it; `context` holds the lead's context (scores, pages, path). */
export interface HandoffTask {
  id: string;
  leadId: string;
  status: HandoffStatus;
  owner: string | null;
  escalations: number;
  openedAt: string;
  slaDueAt: string | null;
  closedAt: string | null;
  reasonCode: string | null;
  note: string | null;
  context: Record<string, unknown>;
}

export function taskOf(row: HandoffRow): HandoffTask {
  return {
    id: row.id,
    leadId: row.lead_id,
    status: row.status,
    owner: row.owner,
    escalations: row.escalations,
    openedAt: row.opened_at.toISOString(),
    slaDueAt: row.sla_due_at?.toISOString() ?? null,
    closedAt: row.closed_at?.toISOString() ?? null,
    reasonCode: row.reason_code,
    note: row.note,
    context: row.context,
  };
}

/** Writes the task once; false when a retry finds it written. */
export async function openHandoff(db: Database, handoff: HandoffRequest, owner: string | undefined, slaDueAt: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO handoffs (id, lead_id, status, owner, context, opened_at, sla_due_at)
     VALUES ($1, $2, 'open', $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
    [handoff.id, handoff.leadId, owner ?? null, handoff, new Date(handoff.at), new Date(slaDueAt)],
  );
  return Boolean(rowCount);
}

/** Hands the open task to `owner` for its `escalations`-th time; false when that was done before. */
export async function reassignHandoff(db: Database, id: string, owner: string | undefined, escalations: number, slaDueAt: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE handoffs SET owner = $2, escalations = $3, sla_due_at = $4, updated_at = now() WHERE id = $1 AND status = 'open' AND escalations < $3`,
    [id, owner ?? null, escalations, new Date(slaDueAt)],
  );
  return Boolean(rowCount);
}

/** A desk action on the open task: its owner and due time, the escalations as they were; false when it is closed or was done before. */
export async function moveHandoff(db: Database, id: string, owner: string | undefined, slaDueAt: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE handoffs SET owner = $2, sla_due_at = $3, updated_at = now()
     WHERE id = $1 AND status = 'open' AND (owner IS DISTINCT FROM $2 OR sla_due_at IS DISTINCT FROM $3)`,
    [id, owner ?? null, new Date(slaDueAt)],
  );
  return Boolean(rowCount);
}

/** Closes the open task with its outcome (a note written with the rep's action stays); false when it was closed before. */
export async function closeHandoff(db: Database, id: string, outcome: HandoffOutcome, reasonCode?: string, note?: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE handoffs SET status = $2, reason_code = $3, note = COALESCE($4, note), closed_at = now(), updated_at = now() WHERE id = $1 AND status = 'open'`,
    [id, outcome, reasonCode ?? null, note ?? null],
  );
  return Boolean(rowCount);
}

/** The rep's note on an open task: free text, kept here and never in a workflow's history. */
export async function noteHandoff(db: Database, id: string, note: string): Promise<void> {
  await db.query(`UPDATE handoffs SET note = $2, updated_at = now() WHERE id = $1 AND status = 'open'`, [id, note]);
}

export async function findHandoff(db: Database, id: string): Promise<HandoffTask | undefined> {
  const { rows } = await db.query<HandoffRow>('SELECT * FROM handoffs WHERE id = $1', [id]);
  return rows[0] && taskOf(rows[0]);
}

export async function openHandoffOfLead(db: Database, leadId: string): Promise<HandoffTask | undefined> {
  const { rows } = await db.query<HandoffRow>("SELECT * FROM handoffs WHERE lead_id = $1 AND status = 'open'", [leadId]);
  return rows[0] && taskOf(rows[0]);
}

export interface HandoffFilter {
  status?: HandoffStatus;
  owner?: string;
  /** Only tasks after this one in the list's order (newest first): keyset pagination. */
  after?: { openedAt: string; id: string };
  limit: number;
}

export async function listHandoffs(db: Database, filter: HandoffFilter): Promise<HandoffTask[]> {
  const { rows } = await db.query<HandoffRow>(
    `SELECT * FROM handoffs
     WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR owner = $2)
       AND ($3::timestamptz IS NULL OR (opened_at, id) < ($3, $4))
     ORDER BY opened_at DESC, id DESC LIMIT $5`,
    [filter.status ?? null, filter.owner ?? null, filter.after?.openedAt ?? null, filter.after?.id ?? null, filter.limit],
  );
  return rows.map(taskOf);
}

/** The ids of every handoff of the lead, the workflow ids of its handoff children. */
export async function listHandoffIds(db: Database, leadId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM handoffs WHERE lead_id = $1 ORDER BY opened_at', [leadId]);
  return rows.map((row) => row.id);
}
