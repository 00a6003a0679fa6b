// A rep's decision on a handoff task, however it comes (the API with a sales key, a signed link in
// the rep's alert): the note is written to PostgreSQL (free text about a person), the decision goes
// to the handoff workflow, and the answer waits briefly for the workflow to close the task.
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { SalesAction } from '../channels/salesAlerts';
import { findHandoff, noteHandoff, type HandoffTask } from '../db/repositories/handoffs';
import { acceptSchema, acceptSignal, meetingBookedSignal, rejectSchema, rejectSignal } from '../workflows/contract';

/** Each action's body and the signal that carries it. */
export const DECISIONS = {
  accept: { body: acceptSchema, signal: acceptSignal },
  reject: { body: rejectSchema, signal: rejectSignal },
  'meeting-booked': { body: acceptSchema, signal: meetingBookedSignal },
} as const satisfies Record<SalesAction, unknown>;

export async function decideHandoff(pool: Pool, client: Client, id: string, action: SalesAction, body: { note?: string; by?: string; reasonCode?: string }): Promise<void> {
  const { note, ...decision } = body;
  if (note !== undefined) await noteHandoff(pool, id, note);
  await client.workflow.getHandle(id).signal(DECISIONS[action].signal as typeof acceptSignal, decision as never);
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
