// GET /v1/metrics/funnel: the funnel report for a date range, by weekly or monthly cohort, grouped
// by source, sequence or segment, and filtered to one of each.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { funnelReport } from '../../db/repositories/funnel';

const funnelQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    cohort: z.enum(['week', 'month']).default('week'),
    by: z.enum(['source', 'sequence', 'segment']).optional(),
    source: z.string().min(1).max(128).optional(),
    sequence: z.string().min(1).max(128).optional(),
    segment: z.string().min(1).max(128).optional(),
  })
  .refine((query) => Date.parse(query.from) < Date.parse(query.to), { message: 'must be after from', path: ['to'] });

export const funnelRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  app.get('/metrics/funnel', { config: { scope: 'read' }, schema: { querystring: funnelQuerySchema } }, async (request) => funnelReport(pool, request.query));
};
