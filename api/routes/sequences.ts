// GET /v1/sequences and /v1/sequences/:id: the live sequences, each step with what it sent, deferred
// and skipped (and why), its rates with their sample, where the leads are, versions and conversions.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { problem } from '../plugins/errors';
import { sequenceList, sequenceReport } from '../sequenceReports';

const sequenceParams = z.object({ id: z.string().min(1).max(64) });

export const sequenceRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  app.get('/sequences', { config: { scope: 'read' } }, async () => sequenceList(pool));

  app.get('/sequences/:id', { config: { scope: 'read' }, schema: { params: sequenceParams } }, async (request, reply) => {
    const report = await sequenceReport(pool, request.params.id);
    if (!report) return problem(reply, 404, 'no such sequence', [{ path: 'params.id', message: `the live catalog has no sequence ${request.params.id}` }]);
    return report;
  });
};
