// API keys on every route of the scope it is registered in: `Authorization: Bearer <key>`, a route's
// `config.scope` checked against the key's scopes, and a rate limit per key. No key is a 401, a key
// without the scope a 403.
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Pool } from 'pg';
import { z } from 'zod';
import { findApiKeys, type ApiKey } from '../../db/repositories/apiKeys';
import { groupWhileBusy } from '../groupWhileBusy';
import { problem } from './errors';

/** `marketing`: the marketers' pages and what they do: read everything, steer leads, promote winners. */
const SCOPES = ['ingest', 'read', 'sales', 'marketing', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
export const scopeSchema = z.enum(SCOPES);

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKey;
  }
  interface FastifyContextConfig {
    scope?: Scope;
  }
}

/** Admin may do everything, marketing also read; other scopes only what they name. The pages check the same. */
export function allows(key: Pick<ApiKey, 'scopes'>, scope: Scope): boolean {
  return key.scopes.includes('admin') || key.scopes.includes(scope) || (scope === 'read' && key.scopes.includes('marketing'));
}

interface AuthOptions {
  pool: Pool;
  /** Requests per minute per API key. */
  rateLimitPerMinute?: number;
}

/** Key lookups in one read at most. */
const KEY_LOOKUPS_AT_ONCE = 500;

const auth: FastifyPluginAsync<AuthOptions> = async (app, { pool, rateLimitPerMinute }) => {
  await app.register(rateLimit, {
    max: rateLimitPerMinute ?? 6_000,
    timeWindow: '1 minute',
    keyGenerator: (request) => request.apiKey?.id ?? request.ip,
  });
  // Read afresh for every request (a revoked key stops at once), but concurrent requests share the read.
  const keys = groupWhileBusy<string, ApiKey | undefined>((secrets) => findApiKeys(pool, secrets), KEY_LOOKUPS_AT_ONCE);
  // Authentication before rate limiting, so that limits count per key.
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const secret = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!secret) return problem(reply, 401, 'missing API key', [{ path: 'authorization', message: 'send Authorization: Bearer <key>' }]);
    const key = await keys.load(secret);
    if (!key) return problem(reply, 401, 'unknown API key', [{ path: 'authorization', message: 'the key is unknown or revoked' }]);
    const scope = request.routeOptions.config.scope;
    if (scope && !allows(key, scope)) return problem(reply, 403, `this key lacks the ${scope} scope`, [{ path: 'authorization', message: `needs scope ${scope}` }]);
    request.apiKey = key;
  });
};

export default fp(auth, { name: 'auth' });
