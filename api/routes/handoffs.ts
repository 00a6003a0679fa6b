// Sales handoffs: the task list (newest first, by status and owner), one task with the lead's
// context, and the rep's actions (accept, reject with a reason, meeting booked), which signal the
// handoff workflow and answer with the task's new state.
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { HANDOFF_STATUSES } from '../../core/protocol';
import { findHandoff, listHandoffs, type HandoffTask } from '../../db/repositories/handoffs';
import { ACTIONS } from '../../channels/salesAlerts';
import { AlreadyDecided, decideHandoff, DECISION_BODIES, waitForClose } from '../handoffDecisions';
import { findLeadIdentity } from '../../db/repositories/leads';
import { assignmentsOf } from '../../db/repositories/reps';
import { alertsOf } from '../../db/repositories/alerts';
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
    // Who took it and why, round by round (the first owner, then each escalation), and who was alerted.
    const [lead, assignments, alerts] = await Promise.all([findLeadIdentity(pool, task.leadId), assignmentsOf(pool, task.id), alertsOf(pool, task.id)]);
    const { id: _id, consent: _consent, ...identity } = lead ?? { id: '' };
    return { ...task, lead: lead ? identity : null, assignments, alerts };
  });

  for (const action of ACTIONS) {
    app.post(`/handoffs/:id/${action}`, { config: { scope: 'sales' }, schema: { params: handoffParams, body: DECISION_BODIES[action] } }, async (request, reply) => {
      const { id } = request.params;
      const task = await findHandoff(pool, id);
      if (!task) return problem(reply, 404, 'no such handoff', [{ path: 'params.id', message: `no handoff ${id}` }]);
      if (task.status !== 'open') return problem(reply, 409, `the handoff is already ${task.status}`, [{ path: 'params.id', message: `${id} is closed` }]);
      const body = request.body as { note?: string; by?: string };
      try {
        await decideHandoff(pool, client, id, action, { ...body, by: body.by ?? request.apiKey?.name });
      } catch (err) {
        if (err instanceof AlreadyDecided) return problem(reply, 409, err.message, [{ path: 'params.id', message: err.message }]);
        throw err;
      }
      app.metrics.handoffActions.inc({ action });
      const settled = await waitForClose(pool, id, settleMs);
      return reply.code(settled.status === 'open' ? 202 : 200).send(settled);
    });
  }
};
