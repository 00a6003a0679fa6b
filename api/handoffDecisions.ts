// A rep's decision on a handoff task, however it comes (the API with a sales key, a signed link in
// the rep's alert): an update of the handoff workflow, where the first decision wins and a later one
// is refused with the winner; the note (free text about a person) is written to PostgreSQL once the
// decision stands; the answer waits briefly for the workflow to close the task. And the desk actions
// on an open task, through the API only: reassign (a manager) and snooze (the owner).
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { SalesAction } from '../channels/salesAlerts';
import { findHandoff, noteHandoff, type HandoffTask } from '../db/repositories/handoffs';
import { findRep } from '../db/repositories/reps';
import { acceptSchema, decideUpdate, reassignSchema, reassignUpdate, rejectSchema, snoozeRefusal, snoozeSchema, snoozeUpdate, type HandoffTaskView } from '../workflows/contract';
import type { z } from 'zod';

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
    const closed = await closedBeforeUpdate(pool, id, err);
    if (closed) throw new AlreadyDecided(closed);
    throw err;
  }
  if (note !== undefined) await noteHandoff(pool, id, note);
}

/**
 * Why an update found no workflow: the task was closed (written before its workflow ends) between the
 * request reading it open and the update reaching the workflow. Undefined for any other failure.
 */
async function closedBeforeUpdate(pool: Pool, id: string, err: unknown): Promise<string | undefined> {
  if (!(err instanceof WorkflowNotFoundError)) return undefined;
  const task = await findHandoff(pool, id);
  return task && task.status !== 'open' ? `the handoff is already ${task.status}` : undefined;
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

/** What each desk action's body holds; the alert links never carry these. */
export const DESK_BODIES = { reassign: reassignSchema, snooze: snoozeSchema } as const;
export type DeskAction = keyof typeof DESK_BODIES;
type DeskBody<A extends DeskAction> = z.infer<(typeof DESK_BODIES)[A]>;

/** A desk action refused: the answer's status and the field it is about. */
export class DeskActionRefused extends Error {
  override name = 'DeskActionRefused';
  constructor(
    message: string,
    readonly status: 409 | 422,
    readonly path: string,
  ) {
    super(message);
  }
}

/** The workflow's refusals (the failure's type) as answers. */
const REFUSALS: Record<string, { status: 409 | 422; path: string }> = {
  AlreadyDecided: { status: 409, path: 'params.id' },
  NotSupported: { status: 409, path: 'params.id' },
  NoRepAvailable: { status: 409, path: 'body.to' },
  UnknownRep: { status: 422, path: 'body.to' },
  SameOwner: { status: 422, path: 'body.to' },
  InvalidSnooze: { status: 422, path: 'body.until' },
};

/** What the API can tell before asking the workflow, which checks again: the rep named, the time promised. */
async function precheck<A extends DeskAction>(pool: Pool, action: A, body: DeskBody<A>): Promise<DeskActionRefused | undefined> {
  if (action === 'snooze') {
    const refusal = snoozeRefusal((body as DeskBody<'snooze'>).until, Date.now());
    return refusal ? new DeskActionRefused(refusal, 422, 'body.until') : undefined;
  }
  const { to } = body as DeskBody<'reassign'>;
  if (to === undefined) return undefined;
  const rep = await findRep(pool, to);
  if (!rep) return new DeskActionRefused(`there is no rep ${to}`, 422, 'body.to');
  return rep.active === false ? new DeskActionRefused(`${to} is not active`, 422, 'body.to') : undefined;
}

/** Does a desk action on the open task and answers with its new state, as the workflow has it. */
export async function actOnHandoff<A extends DeskAction>(pool: Pool, client: Client, id: string, action: A, body: DeskBody<A>): Promise<HandoffTaskView> {
  const refused = await precheck(pool, action, body);
  if (refused) throw refused;
  const handle = client.workflow.getHandle(id);
  let task: HandoffTaskView;
  try {
    if (action === 'snooze') {
      task = await handle.executeUpdate(snoozeUpdate, { args: [body as DeskBody<'snooze'>] });
    } else {
      const { note: _note, ...reassign } = body as DeskBody<'reassign'>;
      task = await handle.executeUpdate(reassignUpdate, { args: [reassign] });
    }
  } catch (err) {
    const closed = await closedBeforeUpdate(pool, id, err);
    if (closed) throw new DeskActionRefused(closed, 409, 'params.id');
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
    const { status, path } = REFUSALS[cause?.type ?? ''] ?? { status: 409, path: 'params.id' };
    throw new DeskActionRefused(cause?.message ?? err.message, status, path);
  }
  const { note } = body as { note?: string };
  if (note !== undefined) await noteHandoff(pool, id, note);
  return task;
}
