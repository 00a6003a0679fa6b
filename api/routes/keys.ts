// POST /v1/keys: a new API key with scopes (or a rep's own sales key), made with an admin key; its
// secret is shown this once.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { createApiKey } from '../../db/repositories/apiKeys';
import { findRep } from '../../db/repositories/reps';
import { problem } from '../plugins/errors';
import { scopeSchema } from '../plugins/auth';

const newKey = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(scopeSchema).min(1),
    /** A rep's own key: it reads and decides that rep's handoffs only. */
    rep: z.string().trim().min(1).max(64).optional(),
  })
  .refine((key) => !key.rep || key.scopes.every((scope) => scope === 'sales'), { path: ['scopes'], message: "a rep's key has the sales scope only" });

export const keyRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  app.post('/keys', { config: { scope: 'admin' }, schema: { body: newKey } }, async (request, reply) => {
    const { name, scopes, rep } = request.body;
    if (rep && !(await findRep(pool, rep))?.active) return problem(reply, 422, 'no such rep', [{ path: 'body.rep', message: `no active rep ${rep}` }]);
    const { key, secret } = await createApiKey(pool, name, [...new Set(scopes)], rep);
    // Only the key's hash is kept.
    return reply.code(201).send({ ...key, secret });
  });
};
