// The API as tests reach it: built as the process builds it, on a free loopback port with its event
// relay, and called over real HTTP.
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { buildApi, type ApiDependencies } from '../../api/app';
import { EventRelay } from '../../api/relay';
import { getFreePort } from '../../app/net';
import type { LeadWorkflowOptions } from '../../workflows/contract';

const TEST_ERASURE_SECRET = 'api-test-erasure-secret-0123456789';

export interface TestApiOptions {
  pool: Pool;
  client: Client;
  taskQueue?: string;
  /** Listens here (a port the test chose, to sign links for it); a free one otherwise. */
  port?: number;
  /** The options new lead workflows start with (a short handoff SLA, for one). */
  leadOptions?: LeadWorkflowOptions;
  public?: ApiDependencies['public'];
  corsOrigins?: ApiDependencies['corsOrigins'];
}

/** The API and its relay for the length of `body`. */
export async function withApi<T>(options: TestApiOptions, body: (api: { url: string; relay: EventRelay; app: FastifyInstance }) => Promise<T>): Promise<T> {
  const start = { taskQueue: options.taskQueue, options: options.leadOptions };
  const relay = new EventRelay(options.pool, options.client, { start, sweepIntervalMs: 200 });
  const app = await buildApi({
    pool: options.pool,
    client: options.client,
    relay,
    start,
    erasureSecret: TEST_ERASURE_SECRET,
    public: options.public,
    corsOrigins: options.corsOrigins,
  });
  const port = options.port ?? (await getFreePort());
  await app.listen({ host: '127.0.0.1', port });
  relay.start();
  try {
    return await body({ url: `http://127.0.0.1:${port}`, relay, app });
  } finally {
    await app.close();
    await relay.stop();
  }
}

/** One request with the key as a bearer token; the body is sent as JSON, or `raw` as it is. */
export async function callApi(url: string, method: string, key: string | undefined, body?: unknown, raw?: string) {
  const response = await fetch(url, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
