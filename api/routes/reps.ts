// Sales reps and teams: who takes handoffs, what they cover, how they are alerted, when they work.
// Admins write them; sales and readers list them. A rep is never deleted (their tasks keep naming
// them): deactivating takes them out of routing.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { durationSchema } from '../../core/model/duration';
import { repSchema, type Rep } from '../../core/model/routing';
import { findRep, listReps, listTeams, saveRep, saveTeam, teamExists } from '../../db/repositories/reps';
import { problem, zodDetails } from '../plugins/errors';

const repParams = z.object({ id: z.string().min(1).max(64) });
const teamSchema = z.object({
  id: z.string().trim().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be a short lower-case id, e.g. emea'),
  name: z.string().trim().min(1).max(200),
  manager: z.string().max(64).optional(),
  /** Working time a rep has to act on a handoff, e.g. 1h. */
  sla: durationSchema.default('1h'),
});

export const repRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  /** Writes a valid rep; its team must exist. */
  const write = async (rep: Rep, create: boolean, reply: Parameters<typeof problem>[0]) => {
    if (rep.team && !(await teamExists(pool, rep.team))) return problem(reply, 422, 'no such team', [{ path: 'body.team', message: `no team ${rep.team}; create it with POST /v1/teams` }]);
    if (!(await saveRep(pool, rep, create))) {
      return create
        ? problem(reply, 409, 'the rep exists', [{ path: 'body.id', message: `rep ${rep.id} exists; PATCH /v1/reps/${rep.id} changes it` }])
        : problem(reply, 404, 'no such rep', [{ path: 'params.id', message: `no rep ${rep.id}` }]);
    }
    return reply.code(create ? 201 : 200).send(await findRep(pool, rep.id));
  };

  app.get('/reps', { config: { scope: 'read' } }, async () => ({ items: await listReps(pool) }));

  app.get('/reps/:id', { config: { scope: 'read' }, schema: { params: repParams } }, async (request, reply) => {
    const rep = await findRep(pool, request.params.id);
    return rep ?? problem(reply, 404, 'no such rep', [{ path: 'params.id', message: `no rep ${request.params.id}` }]);
  });

  app.post('/reps', { config: { scope: 'admin' }, schema: { body: repSchema } }, async (request, reply) => write(request.body, true, reply));

  // The fields given replace the stored ones; the rep is validated whole.
  app.patch('/reps/:id', { config: { scope: 'admin' }, schema: { params: repParams, body: z.record(z.string(), z.unknown()) } }, async (request, reply) => {
    const stored = await findRep(pool, request.params.id);
    if (!stored) return problem(reply, 404, 'no such rep', [{ path: 'params.id', message: `no rep ${request.params.id}` }]);
    // Validated whole: the answer names every bad field.
    const parsed = repSchema.safeParse({ ...stored, ...request.body, id: stored.id });
    if (!parsed.success) return problem(reply, 400, 'invalid body', zodDetails('body', parsed.error.issues));
    return write(parsed.data, false, reply);
  });

  app.post('/reps/:id/deactivate', { config: { scope: 'admin' }, schema: { params: repParams } }, async (request, reply) => {
    const stored = await findRep(pool, request.params.id);
    if (!stored) return problem(reply, 404, 'no such rep', [{ path: 'params.id', message: `no rep ${request.params.id}` }]);
    return write({ ...repSchema.parse(stored), active: false }, false, reply);
  });

  app.get('/teams', { config: { scope: 'read' } }, async () => ({ items: await listTeams(pool) }));

  app.post('/teams', { config: { scope: 'admin' }, schema: { body: teamSchema } }, async (request, reply) => {
    const created = await saveTeam(pool, request.body);
    return reply.code(created ? 201 : 200).send(request.body);
  });
};
