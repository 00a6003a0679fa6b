// POST /v1/keys: a new API key with scopes, made with an admin key; its secret is shown this once.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { createApiKey } from '../../db/repositories/apiKeys';
import { scopeSchema } from '../plugins/auth';

const newKey = z.object({ name: z.string().trim().min(1).max(100), scopes: z.array(scopeSchema).min(1) });

export const keyRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  app.post('/keys', { config: { scope: 'admin' }, schema: { body: newKey } }, async (request, reply) => {
    const { key, secret } = await createApiKey(pool, request.body.name, [...new Set(request.body.scopes)]);
    // Only the key's hash is kept.
    return reply.code(201).send({ ...key, secret });
  });
};
