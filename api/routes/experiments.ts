// GET /v1/experiments: each A/B test's variants with their exposures, engagement and conversions,
// and each compared with the control on one metric; a test its own rule ended names the winner.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { EXPERIMENT_METRICS } from '../../core/model/sequence';
import { experimentResults } from '../../db/repositories/experiments';
import { findRulePromotions } from '../../db/repositories/promotions';

const experimentsQuery = z.object({
  /** One experiment, `<sequence>/<step>`; all when absent. */
  experiment: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}\/[a-z0-9][a-z0-9_-]{0,63}$/, 'must be <sequence>/<step>, e.g. education/thanks').optional(),
  /** What a variant is compared on: engagement with its send, or conversion within the window after it. */
  metric: z.enum(EXPERIMENT_METRICS).default('mql'),
  windowDays: z.coerce.number().int().min(1).max(365).default(30),
});

export const experimentRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  app.get('/experiments', { config: { scope: 'read' }, schema: { querystring: experimentsQuery } }, async (request) => {
    const [results, byRule] = await Promise.all([experimentResults(pool, request.query), findRulePromotions(pool)]);
    // A test its own rule ended says so, with the figures the rule decided on.
    return { items: results.map((experiment) => ({ ...experiment, promotedByRule: byRule.find((promotion) => promotion.experimentId === experiment.id) ?? null })) };
  });
};
