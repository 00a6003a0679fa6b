// GET /v1/sequences and /v1/sequences/:id: the live sequences, each step with what it sent, deferred
// and skipped (and why), its rates with their sample, where the leads are, versions and conversions;
// and /v1/sequences/:id/diff: what changed between two of its versions.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { problem } from '../plugins/errors';
import { sequenceList, sequenceReport, sequenceVersionDiff } from '../sequenceReports';

const sequenceParams = z.object({ id: z.string().min(1).max(64) });
const diffQuery = z.object({ from: z.string().min(1).max(100), to: z.string().min(1).max(100) });

export const sequenceRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  app.get('/sequences', { config: { scope: 'read' } }, async () => sequenceList(pool));

  app.get('/sequences/:id', { config: { scope: 'read' }, schema: { params: sequenceParams } }, async (request, reply) => {
    const report = await sequenceReport(pool, request.params.id);
    if (!report) return problem(reply, 404, 'no such sequence', [{ path: 'params.id', message: `the live catalog has no sequence ${request.params.id}` }]);
    return report;
  });

  app.get('/sequences/:id/diff', { config: { scope: 'read' }, schema: { params: sequenceParams, querystring: diffQuery } }, async (request, reply) => {
    const { from, to } = request.query;
    const diff = await sequenceVersionDiff(pool, request.params.id, from, to);
    return diff ?? problem(reply, 404, 'no such versions', [{ path: 'query', message: `${from} and ${to} must both be versions of ${request.params.id}` }]);
  });
};
