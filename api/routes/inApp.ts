// The in-app inbox a product shows: a lead's messages, marking one seen or dismissed (an event like
// any other), and live updates as server-sent events.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { markInAppMessage } from '../../channels/inApp';
import { listInAppMessages, type InAppStream } from '../../db/repositories/inAppMessages';
import { closeStreamsOnShutdown, openEventStream } from '../eventStream';
import { problem } from '../plugins/errors';
import type { EventRelay } from '../relay';
import { leadParams } from './leads';

const messageParams = leadParams.extend({ messageId: z.string().min(1).max(200) });

export interface InAppRouteOptions {
  pool: Pool;
  relay: EventRelay;
  /** Live updates for the SSE stream; absent, the stream is not served. */
  stream?: InAppStream;
}

export const inAppRoutes: FastifyPluginAsyncZod<InAppRouteOptions> = async (app, { pool, relay, stream }) => {
  app.get('/leads/:id/messages', { config: { scope: 'read' }, schema: { params: leadParams } }, async (request) => ({
    items: await listInAppMessages(pool, request.params.id),
    nextCursor: null,
  }));

  for (const [action, kind] of [
    ['seen', 'seen'],
    ['dismiss', 'dismissed'],
  ] as const) {
    app.post(`/leads/:id/messages/:messageId/${action}`, { config: { scope: 'ingest' }, schema: { params: messageParams } }, async (request, reply) => {
      const marked = await markInAppMessage(pool, request.params.id, request.params.messageId, kind);
      if (!marked) return problem(reply, 404, 'no such message', [{ path: 'params.messageId', message: `no message ${request.params.messageId} for this lead` }]);
      // An event like any other; its id is derived from the message, so twice counts once.
      await relay.accept([marked]);
      return marked;
    });
  }

  if (!stream) return;
  const shutdown = closeStreamsOnShutdown(app);
  // Server-sent events for a product UI: each new, seen or dismissed message as it happens.
  app.get('/leads/:id/messages/stream', { config: { scope: 'read' }, schema: { params: leadParams } }, async (request, reply) => {
    const events = openEventStream(request, reply, shutdown);
    try {
      for await (const update of stream.updates(request.params.id, events.signal)) events.send(update.kind, update);
    } finally {
      events.end();
    }
  });
};
