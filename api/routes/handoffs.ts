// Sales handoffs: the task list (newest first, by status and owner), one task with the lead's
// context, the rep's actions (accept, reject with a reason, meeting booked), and the desk actions
// on an open task (reassign, snooze), which update the handoff workflow and answer with the task's
// new state.
import type { Client } from '@temporalio/client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { HANDOFF_STATUSES } from '../../core/protocol';
import { findDeskRep, type DeskRep } from '../../db/repositories/desk';
import { findHandoff, listHandoffs, type HandoffTask } from '../../db/repositories/handoffs';
import { canSee, refusal, type TaskAction } from '../deskAccess';
import { ACTIONS } from '../../channels/salesAlerts';
import { actOnHandoff, AlreadyDecided, decideHandoff, DECISION_BODIES, DESK_BODIES, DeskActionRefused, waitForClose, type DeskAction } from '../handoffDecisions';
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

/** Who a decision is recorded as: a rep's own key is that rep, whatever the body says. */
function decidedBy(request: FastifyRequest, by: string | undefined): string | undefined {
  return request.apiKey?.rep ?? by ?? request.apiKey?.name;
}

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
  /** The rep a rep's own key acts for (undefined for a team key); a deactivated rep's key never gets here. */
  const repOfKey = async (request: FastifyRequest): Promise<DeskRep | undefined> => (request.apiKey?.rep ? findDeskRep(pool, request.apiKey.rep) : undefined);

  app.get('/handoffs', { config: { scope: 'sales' }, schema: { querystring: listQuery } }, async (request, reply) => {
    const { status, limit, cursor } = request.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && !after) return problem(reply, 400, 'invalid query', [{ path: 'query.cursor', message: 'is not a cursor this API gave' }]);
    // A rep's own key lists that rep's tasks, whatever owner is asked for.
    const owner = request.apiKey?.rep ?? request.query.owner;
    const tasks = await listHandoffs(pool, { status, owner, after, limit: limit + 1 });
    const page = tasks.slice(0, limit);
    const last = page.at(-1);
    return { items: page.map(handoffSummary), nextCursor: tasks.length > limit && last ? encodeCursor(last) : null };
  });

  app.get('/handoffs/:id', { config: { scope: 'sales' }, schema: { params: handoffParams } }, async (request, reply) => {
    const task = await findHandoff(pool, request.params.id);
    const rep = await repOfKey(request);
    // Another rep's task is answered as if it did not exist.
    if (!task || (rep && !canSee(rep, task))) return problem(reply, 404, 'no such handoff', [{ path: 'params.id', message: `no handoff ${request.params.id}` }]);
    // Who the lead is comes from PostgreSQL (the task's context holds traits only); null once erased.
    // Who took it and why, round by round (the first owner, then each escalation), and who was alerted.
    const [lead, assignments, alerts] = await Promise.all([findLeadIdentity(pool, task.leadId), assignmentsOf(pool, task.id), alertsOf(pool, task.id)]);
    const { id: _id, consent: _consent, ...identity } = lead ?? { id: '' };
    return { ...task, lead: lead ? identity : null, assignments, alerts };
  });

  /** The open task the key may act on, or the answer why not. */
  const openTask = async (request: FastifyRequest, id: string, action: TaskAction, reply: FastifyReply): Promise<HandoffTask | undefined> => {
    const task = await findHandoff(pool, id);
    const rep = await repOfKey(request);
    if (!task || (rep && !canSee(rep, task))) return void problem(reply, 404, 'no such handoff', [{ path: 'params.id', message: `no handoff ${id}` }]);
    const refused = rep && refusal(rep, task, action);
    if (refused) return void problem(reply, 403, refused, [{ path: 'params.id', message: refused }]);
    if (task.status !== 'open') return void problem(reply, 409, `the handoff is already ${task.status}`, [{ path: 'params.id', message: `${id} is closed` }]);
    return task;
  };

  for (const action of ACTIONS) {
    app.post(`/handoffs/:id/${action}`, { config: { scope: 'sales' }, schema: { params: handoffParams, body: DECISION_BODIES[action] } }, async (request, reply) => {
      const { id } = request.params;
      if (!(await openTask(request, id, action, reply))) return reply;
      const body = request.body as { note?: string; by?: string };
      try {
        await decideHandoff(pool, client, id, action, { ...body, by: decidedBy(request, body.by) });
      } catch (err) {
        if (err instanceof AlreadyDecided) return problem(reply, 409, err.message, [{ path: 'params.id', message: err.message }]);
        throw err;
      }
      app.metrics.handoffActions.inc({ action });
      const settled = await waitForClose(pool, id, settleMs);
      return reply.code(settled.status === 'open' ? 202 : 200).send(settled);
    });
  }

  // Not in the alert links: a manager reassigns, the owner snoozes, with a key.
  for (const action of Object.keys(DESK_BODIES) as DeskAction[]) {
    app.post(`/handoffs/:id/${action}`, { config: { scope: 'sales' }, schema: { params: handoffParams, body: DESK_BODIES[action] } }, async (request, reply) => {
      const { id } = request.params;
      if (!(await openTask(request, id, action, reply))) return reply;
      const { body } = request;
      try {
        const task = await actOnHandoff(pool, client, id, action, { ...body, by: decidedBy(request, body.by) });
        app.metrics.handoffActions.inc({ action });
        return task;
      } catch (err) {
        if (err instanceof DeskActionRefused) return problem(reply, err.status, err.message, [{ path: err.path, message: err.message }]);
        throw err;
      }
    });
  }
};
