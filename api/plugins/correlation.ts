// The correlation id of an API request: the caller's X-Request-Id, else the trace id of its W3C
// traceparent, else a new one (`requestCorrelationId`, the app's request id generator). The API
// logs it on the request's line and answers with it, and the Temporal client interceptor below puts
// it in the header of every signal the request sends, so the lead workflow, its activities and its
// handoff log it too (workflows/correlation).
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { withCorrelationId } from '../../workflows/correlation';

export const REQUEST_ID_HEADER = 'x-request-id';

export function requestCorrelationId(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  // Anything else is a made-up id, not worth echoing into every log line.
  if (typeof given === 'string' && /^[\w.:/+=@-]{1,128}$/.test(given)) return given;
  const traceId = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(String(request.headers.traceparent ?? ''))?.[1];
  return traceId ?? randomUUID();
}

const requestContext = new AsyncLocalStorage<string>();

/** Answers with the request's id, and runs its handler (and whatever that starts) as the request. */
const correlation: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  // After the body is read (whose stream callbacks run outside any request), so that the handler and
  // what it starts, the relay's signals among them, run as this request.
  app.addHook('preHandler', (request, _reply, done) => requestContext.run(request.id, done));
};

export default fp(correlation, { name: 'correlation' });

/**
 * Signals and updates carry the id of the request they are sent for. Events that the relay's sweep
 * delivers later belong to no request and carry none.
 */
export const correlationClientInterceptor: WorkflowClientInterceptor = {
  signal: (input, next) => next({ ...input, headers: withCorrelationId(input.headers, requestContext.getStore()) }),
  signalWithStart: (input, next) => next({ ...input, headers: withCorrelationId(input.headers, requestContext.getStore()) }),
  startUpdate: (input, next) => next({ ...input, headers: withCorrelationId(input.headers, requestContext.getStore()) }),
};
