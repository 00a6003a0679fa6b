// Sales handoffs: the task list (newest first, by status and owner), one task with the lead's
// context, and the rep's actions (accept, reject with a reason, meeting booked), which signal the
// handoff workflow and answer with the task's new state.
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { HANDOFF_STATUSES } from '../../core/protocol';
import { findHandoff, listHandoffs, noteHandoff, type HandoffTask } from '../../db/repositories/handoffs';
import { findLeadIdentity } from '../../db/repositories/leads';
import { assignmentsOf } from '../../db/repositories/reps';
import { acceptSchema, acceptSignal, meetingBookedSignal, rejectSchema, rejectSignal } from '../../workflows/contract';
import { problem } from '../plugins/errors';

const handoffParams = z.object({ id: z.string().min(1).max(200) });
const listQuery = z.object({
  status: z.enum(HANDOFF_STATUSES).optional(),
  owner: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(400).optional(),
});
const cursorSchema = z.object({ openedAt: z.iso.datetime(), id: z.string() });

/** A task in lists: everything but the lead's context. */
export function handoffSummary({ context: _context, ...summary }: HandoffTask): Omit<HandoffTask, 'context'> {
  return summary;
}

function encodeCursor(task: HandoffTask): string {
  return Buffer.from(JSON.stringify({ openedAt: task.openedAt, id: task.id })).toString('base64url');
}

function decodeCursor(cursor: string): z.infer<typeof cursorSchema> | undefined {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    return undefined;
  }
}

export interface HandoffRouteOptions {
  pool: Pool;
  client: Client;
  /** How long an action waits to answer with the task's new state. */
  settleMs?: number;
}

export const handoffRoutes: FastifyPluginAsyncZod<HandoffRouteOptions> = async (app, { pool, client, settleMs = 5_000 }) => {
  app.get('/handoffs', { config: { scope: 'sales' }, schema: { querystring: listQuery } }, async (request) => {
    const { status, owner, limit, cursor } = request.query;
    const tasks = await listHandoffs(pool, { status, owner, after: cursor ? decodeCursor(cursor) : undefined, limit: limit + 1 });
    const page = tasks.slice(0, limit);
    const last = page.at(-1);
    return { items: page.map(handoffSummary), nextCursor: tasks.length > limit && last ? encodeCursor(last) : null };
  });

  app.get('/handoffs/:id', { config: { scope: 'sales' }, schema: { params: handoffParams } }, async (request, reply) => {
    const task = await findHandoff(pool, request.params.id);
    if (!task) return problem(reply, 404, 'no such handoff', [{ path: 'params.id', message: `no handoff ${request.params.id}` }]);
    // Who the lead is comes from PostgreSQL (the task's context holds traits only); null once erased.
    const lead = await findLeadIdentity(pool, task.leadId);
    const { id: _id, consent: _consent, ...identity } = lead ?? { id: '' };
    // Who took it and why, round by round (the first owner, then each escalation).
    return { ...task, lead: lead ? identity : null, assignments: await assignmentsOf(pool, task.id) };
  });

  const actions = [
    { path: 'accept', body: acceptSchema, signal: acceptSignal },
    { path: 'reject', body: rejectSchema, signal: rejectSignal },
    { path: 'meeting-booked', body: acceptSchema, signal: meetingBookedSignal },
  ] as const;
  for (const action of actions) {
    app.post(`/handoffs/:id/${action.path}`, { config: { scope: 'sales' }, schema: { params: handoffParams, body: action.body } }, async (request, reply) => {
      const { id } = request.params;
      const task = await findHandoff(pool, id);
      if (!task) return problem(reply, 404, 'no such handoff', [{ path: 'params.id', message: `no handoff ${id}` }]);
      if (task.status !== 'open') return problem(reply, 409, `the handoff is already ${task.status}`, [{ path: 'params.id', message: `${id} is closed` }]);
      // A note is free text about a person: it is written here, and only the decision goes to the workflow.
      const { note, ...decision } = request.body as { note?: string; by?: string };
      if (note !== undefined) await noteHandoff(pool, id, note);
      const payload = { ...decision, by: decision.by ?? request.apiKey?.name };
      await client.workflow.getHandle(id).signal(action.signal as typeof acceptSignal, payload as never);
      app.metrics.handoffActions.inc({ action: action.path });
      const settled = await waitForClose(pool, id, settleMs);
      return reply.code(settled.status === 'open' ? 202 : 200).send(settled);
    });
  }
};

/** The handoff workflow closes the task through an activity: the answer waits (briefly) for that. */
async function waitForClose(pool: Pool, id: string, timeoutMs: number): Promise<HandoffTask> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = (await findHandoff(pool, id))!;
    if (task.status !== 'open' || Date.now() >= deadline) return task;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
