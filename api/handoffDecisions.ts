// A rep's decision on a handoff task, however it comes (the API with a sales key, a signed link in
// the rep's alert): an update of the handoff workflow, where the first decision wins and a later one
// is refused with the winner; the note (free text about a person) is written to PostgreSQL once the
// decision stands; the answer waits briefly for the workflow to close the task.
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { SalesAction } from '../channels/salesAlerts';
import { findHandoff, noteHandoff, type HandoffTask } from '../db/repositories/handoffs';
import { acceptSchema, decideUpdate, rejectSchema } from '../workflows/contract';

/** What each action's body holds. */
export const DECISION_BODIES = { accept: acceptSchema, reject: rejectSchema, 'meeting-booked': acceptSchema } as const satisfies Record<SalesAction, unknown>;

/** Another decision was first: its message says which and by whom. */
export class AlreadyDecided extends Error {
  override name = 'AlreadyDecided';
}

export async function decideHandoff(pool: Pool, client: Client, id: string, action: SalesAction, body: { note?: string; by?: string; reasonCode?: string }): Promise<void> {
  const { note, ...decision } = body;
  try {
    await client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [{ action, ...decision } as never] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new AlreadyDecided((err.cause as Error | undefined)?.message ?? err.message);
    throw err;
  }
  if (note !== undefined) await noteHandoff(pool, id, note);
}

/** The handoff workflow closes the task through an activity: the answer waits (briefly) for that. */
export async function waitForClose(pool: Pool, id: string, timeoutMs: number): Promise<HandoffTask> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = (await findHandoff(pool, id))!;
    if (task.status !== 'open' || Date.now() >= deadline) return task;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
