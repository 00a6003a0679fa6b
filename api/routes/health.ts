// Liveness and readiness for load balancers and orchestrators: /healthz answers while the process
// runs, /readyz while PostgreSQL and Temporal both answer.
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { isReachable } from '../../db/pool';

export const healthRoutes: FastifyPluginAsyncZod<{ pool: Pool; client: Client }> = async (app, { pool, client }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const [postgres, temporal] = await Promise.all([
      isReachable(pool),
      client.workflowService.getSystemInfo({}).then(
        () => true,
        () => false,
      ),
    ]);
    const ready = postgres && temporal;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { postgres, temporal } });
  });
};
