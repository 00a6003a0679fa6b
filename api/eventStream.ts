// Server-sent events on a Fastify route: the stream's signal aborts when the client goes away or
// the server closes (an open stream would otherwise hold the shutdown forever), and a comment now
// and then keeps proxies from closing an idle stream.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const HEARTBEAT_MS = 25_000;

/** Ends every open stream when the server begins to close; register once per plugin that streams. */
export function closeStreamsOnShutdown(app: FastifyInstance): AbortSignal {
  const shutdown = new AbortController();
  app.addHook('preClose', async () => shutdown.abort());
  return shutdown.signal;
}

export interface EventStream {
  signal: AbortSignal;
  send(event: string, data: unknown): void;
  end(): void;
}

export function openEventStream(request: FastifyRequest, reply: FastifyReply, shutdown: AbortSignal): EventStream {
  const gone = new AbortController();
  request.raw.on('close', () => gone.abort());
  const signal = AbortSignal.any([gone.signal, shutdown]);
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  reply.raw.write(': connected\n\n');
  const heartbeat = setInterval(() => reply.raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
  return {
    signal,
    send: (event, data) => reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    end: () => {
      clearInterval(heartbeat);
      reply.raw.end();
    },
  };
}
