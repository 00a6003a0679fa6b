// POST /v1/events: one event or a batch, stored (the event id is the deduplication key) and then
// signalled to each lead's workflow by the relay; 202 once stored. Events of erased leads are dropped.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { leadEventSchema, type LeadEvent } from '../../core/model/events';
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

export interface EventTimeBounds {
  /** The earliest time an event may carry (ms since the epoch). */
  earliest: number;
  /** How far past now an event's time may be. */
  maxSkewMs: number;
}

const DEFAULT_EVENT_TIME_BOUNDS: EventTimeBounds = { earliest: Date.UTC(2000, 0, 1), maxSkewMs: 3_600_000 };

/**
 * What the schema cannot see: a time outside the bounds (scoring and decay would run on it), and
 * one event id twice in a batch with different content (one would be dropped in silence).
 */
function batchProblems(events: LeadEvent[], bounds: EventTimeBounds, now: number, path: (i: number) => string): ProblemDetail[] {
  const problems: ProblemDetail[] = [];
  const seen = new Map<string, string>();
  events.forEach((event, i) => {
    const at = Date.parse(event.occurredAt);
    if (at < bounds.earliest) problems.push({ path: `${path(i)}.occurredAt`, message: `is before ${new Date(bounds.earliest).toISOString().slice(0, 10)}` });
    else if (at > now + bounds.maxSkewMs) problems.push({ path: `${path(i)}.occurredAt`, message: 'is in the future' });
    const content = JSON.stringify(event);
    const first = seen.get(event.eventId);
    if (first !== undefined && first !== content) problems.push({ path: `${path(i)}.eventId`, message: `${event.eventId} comes twice in the batch with different content` });
    if (first === undefined) seen.set(event.eventId, content);
  });
  return problems;
}

export const eventRoutes: FastifyPluginAsyncZod<{ relay: EventRelay; timeBounds?: EventTimeBounds }> = async (app, { relay, timeBounds = DEFAULT_EVENT_TIME_BOUNDS }) => {
  app.post(
    '/events',
    { config: { scope: 'ingest' }, attachValidation: true, schema: { body: eventsBody, response: { 202: z.object({ accepted: z.number(), duplicates: z.number(), erased: z.number().describe('events of erased leads, dropped') }) } } },
    async (request, reply) => {
      if (request.validationError) return problem(reply, 400, 'invalid body', eventsBodyIssues(request.body));
      const { body } = request;
      const batch = 'events' in body;
      const events = 'events' in body ? body.events : [body];
      const problems = batchProblems(events, timeBounds, Date.now(), (i) => (batch ? `body.events.${i}` : 'body'));
      if (problems.length) return problem(reply, 422, 'events refused', problems);
      const stored = await relay.accept(events);
      app.metrics.events.inc({ outcome: 'accepted' }, stored.accepted);
      app.metrics.events.inc({ outcome: 'duplicate' }, stored.duplicates);
      app.metrics.events.inc({ outcome: 'erased' }, stored.erased);
      return reply.code(202).send({ accepted: stored.accepted, duplicates: stored.duplicates, erased: stored.erased });
    },
  );
};
