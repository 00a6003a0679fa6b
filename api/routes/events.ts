// POST /v1/events: one event or a batch, stored (the event id is the deduplication key) and then
// signalled to each lead's workflow by the relay; 202 once stored. Events of erased leads are dropped.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { leadEventSchema } from '../../core/model/events';
import { problem, zodDetails, type ProblemDetail } from '../plugins/errors';
import type { EventRelay } from '../relay';

export const MAX_EVENTS_PER_BATCH = 1_000;

const eventBatchSchema = z.object({ events: z.array(leadEventSchema).min(1).max(MAX_EVENTS_PER_BATCH) });
/** One event, or a batch of them (the schema the OpenAPI document shows). */
const eventsBody = z.union([leadEventSchema, eventBatchSchema]);

/**
 * A union's error only says that no branch matched; the body is parsed again with the branch it
 * meant (a batch has `events`), so each problem is named down to its field.
 */
function eventsBodyIssues(body: unknown): ProblemDetail[] {
  const meant = body !== null && typeof body === 'object' && 'events' in body ? eventBatchSchema : leadEventSchema;
  const result = meant.safeParse(body);
  return result.success ? [] : zodDetails('body', result.error.issues);
}

export const eventRoutes: FastifyPluginAsyncZod<{ relay: EventRelay }> = async (app, { relay }) => {
  app.post(
    '/events',
    { config: { scope: 'ingest' }, attachValidation: true, schema: { body: eventsBody, response: { 202: z.object({ accepted: z.number(), duplicates: z.number(), erased: z.number().describe('events of erased leads, dropped') }) } } },
    async (request, reply) => {
      if (request.validationError) return problem(reply, 400, 'invalid body', eventsBodyIssues(request.body));
      const events = 'events' in request.body ? request.body.events : [request.body];
      const stored = await relay.accept(events);
      app.metrics.events.inc({ outcome: 'accepted' }, stored.accepted);
      app.metrics.events.inc({ outcome: 'duplicate' }, stored.duplicates);
      app.metrics.events.inc({ outcome: 'erased' }, stored.erased);
      return reply.code(202).send({ accepted: stored.accepted, duplicates: stored.duplicates, erased: stored.erased });
    },
  );
};
