// The API's request lines: one per request, when it ends, with its correlation id under the same
// key as the lines of the workflows and activities it causes. Probes and scrapes (routes left out of
// the API docs: /metrics, /healthz, /readyz, /docs) are debug lines, so they do not drown the rest.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'correlationId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else if (request.routeOptions.schema?.hide) reply.log.debug(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }
}
