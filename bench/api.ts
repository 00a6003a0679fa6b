// bench/api: the HTTP API against a real Temporal dev server and PostgreSQL, in one run.
//   1. raw: signalWithStart calls per second from a bare client to a workflow type no worker runs
//      (what Temporal itself takes);
//   2. single: one event per POST /v1/events, BENCH_CONCURRENCY requests in flight: accepted/s with
//      p50/p99 latency, and sustained/s until the relay has signalled every event;
//   3. batched: the same with BENCH_BATCH events per request.
//   Phases 1-3 run before the lead worker starts, so that each compares the ingestion path (HTTP,
//   PostgreSQL, the relay) with the raw signal alone, neither paying for the workflows' work;
//   4. batched again, with the lead worker folding every event into its lead on the same machine;
//   5. speed to lead: with BENCH_ACTIVE_LEADS leads running on the lead worker, the time from a demo
//      request's POST to its handoff task being readable at GET /v1/handoffs/:id, p50/p99.
// Prints one JSON object; progress goes to stderr. Targets: sustained ingest ≥ 0.8 × the raw signal
// rate; speed to lead p99 ≤ 1 s under 10,000 active leads (BENCH_ACTIVE_LEADS; starting them takes
// a few minutes on two cores).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Pool } from 'pg';
import { EventRelay } from '../api/relay';
import { seedAdminKey } from '../db/repositories/apiKeys';
import { buildApi } from '../api/app';
import { installQuietRuntime } from '../app/telemetry';
import type { LeadEvent } from '../core/model/events';
import { migrate } from '../db/migrate';
import { getFreePort } from '../app/net';
import { startTestPostgres } from '../devstack/postgres';
import { startDevServer } from '../devstack/temporal';
import { defaultCatalog } from '../sequences/library';
import { publishVersions } from '../db/repositories/sequenceVersions';
import { bundleLeadWorkflows } from '../workers/bundle';
import { LEAD_TASK_QUEUE } from '../workflows/contract';
import { leadWorkerOptions } from '../workers/leadWorker';
import { LEAD_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RAW = env('BENCH_RAW_SIGNALS', 3_000);
const SINGLE = env('BENCH_SINGLE_EVENTS', 3_000);
const BATCHED = env('BENCH_BATCHED_EVENTS', 20_000);
const BATCH = env('BENCH_BATCH', 100);
const CONCURRENCY = env('BENCH_CONCURRENCY', 32);
const ACTIVE_LEADS = env('BENCH_ACTIVE_LEADS', 10_000);
const HANDOFFS = env('BENCH_HANDOFFS', 40);
const KEY = `bench-admin-${randomUUID()}`;

const log = (line: string) => process.stderr.write(`[bench/api] ${line}\n`);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

/** Runs `count` jobs with `concurrency` in flight; per-job latency in ms and the wall time in s. */
async function load(count: number, concurrency: number, job: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await job(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { seconds: (performance.now() - began) / 1000, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
}

async function main() {
  installQuietRuntime();
  log('starting PostgreSQL and the Temporal dev server');
  const [postgres, temporal] = await Promise.all([startTestPostgres(), startDevServer({ searchAttributes: LEAD_SEARCH_ATTRIBUTES })]);
  const pool = new Pool({ connectionString: postgres.url, max: 20 });
  // Stopping the embedded server at the end closes idle connections under the pool.
  pool.on('error', () => undefined);
  const connection = await NativeConnection.connect({ address: temporal.address });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  try {
    await migrate(pool);
    await seedAdminKey(pool, KEY);
    const catalog = defaultCatalog();
    await publishVersions(pool, catalog.versions);
    const client: Client = temporal.env.client;
    worker = await Worker.create(leadWorkerOptions({ connection, pool, catalog, workflowBundle: await bundleLeadWorkflows() }));
    /** The API and its relay on a free loopback port, starting lead workflows on `taskQueue`. */
    const serve = async (taskQueue: string) => {
      const start = { taskQueue };
      const relay = new EventRelay(pool, client, { start });
      // One key drives the whole load: its rate limit would stop the run, not measure it.
      const app = await buildApi({ pool, client, relay, start, erasureSecret: 'bench-erasure-secret-0123456789', rateLimitPerMinute: 10_000_000 });
      const port = await getFreePort();
      await app.listen({ host: '127.0.0.1', port });
      const url = `http://127.0.0.1:${port}`;
      return {
        url,
        post: async (route: string, body: unknown) => {
          const response = await fetch(`${url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
          if (response.status >= 300) throw new Error(`${route}: ${response.status} ${await response.text()}`);
          await response.arrayBuffer();
        },
        close: async () => {
          await app.close();
          await relay.stop();
        },
      };
    };
    const pageView = (leadId: string): LeadEvent => ({ eventId: randomUUID(), leadId, type: 'page_view', occurredAt: new Date().toISOString(), properties: { url: 'https://example.com/docs', category: 'docs' } });
    const allDelivered = async (began: number) => {
      for (;;) {
        const { rows } = await pool.query('SELECT count(*)::int AS pending FROM events WHERE delivered_at IS NULL');
        if (rows[0].pending === 0) return (performance.now() - began) / 1000;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    log(`1. raw: ${RAW} signalWithStart calls to a workflow no worker runs`);
    const raw = await load(RAW, CONCURRENCY, async (i) => {
      await client.workflow.signalWithStart('benchRawWorkflow', { workflowId: `raw-${i % 200}`, taskQueue: 'bench-raw', args: [], signal: 'event', signalArgs: [{ i }] });
    });
    const rawPerSecond = RAW / raw.seconds;

    // Phases 2 and 3 start their leads on a task queue no worker polls, as the raw calls do.
    const ingestOnly = await serve('bench-ingest-only');
    log(`2. single: ${SINGLE} events, one per request, to 200 leads`);
    const began = performance.now();
    const single = await load(SINGLE, CONCURRENCY, (i) => ingestOnly.post('/v1/events', pageView(`single-${i % 200}`)));
    const singleSustained = SINGLE / (await allDelivered(began));

    /** BATCHED events in requests of BATCH, to 200 leads; request latency and the sustained rate. */
    const batchedPhase = async (api: Awaited<ReturnType<typeof serve>>, prefix: string) => {
      const began = performance.now();
      const requests = await load(Math.ceil(BATCHED / BATCH), Math.min(CONCURRENCY, 8), (i) =>
        api.post('/v1/events', { events: Array.from({ length: BATCH }, (_, j) => pageView(`${prefix}-${(i * BATCH + j) % 200}`)) }),
      );
      const sustained = BATCHED / (await allDelivered(began));
      return {
        acceptedPerSecond: round(BATCHED / requests.seconds),
        sustainedPerSecond: round(sustained),
        requestP50Ms: requests.p50Ms,
        requestP99Ms: requests.p99Ms,
        ratioToRaw: round(sustained / rawPerSecond, 3),
      };
    };
    log(`3. batched: ${BATCHED} events in batches of ${BATCH}, to 200 leads`);
    const batched = await batchedPhase(ingestOnly, 'batched');
    await ingestOnly.close();

    running = worker.run();
    const engine = await serve(LEAD_TASK_QUEUE);
    log(`4. batched, with the lead worker folding the events in`);
    const batchedWithWorker = await batchedPhase(engine, 'folded');

    log(`5. speed to lead: ${ACTIVE_LEADS} active leads, then ${HANDOFFS} demo requests`);
    const profile = { email: 'ana@northwind.example', title: 'VP Operations', industry: 'software', companySize: 300, country: 'DE' };
    await load(ACTIVE_LEADS, CONCURRENCY, (i) => engine.post('/v1/leads', { id: `active-${i}`, ...profile }));
    // Measured once every lead has settled (its first decisions recorded), not behind a start backlog.
    for (;;) {
      const { rows } = await pool.query("SELECT count(*)::int AS settled FROM leads WHERE id LIKE 'active-%' AND tier IS NOT NULL");
      if (rows[0].settled >= ACTIVE_LEADS) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const speeds: number[] = [];
    await load(HANDOFFS, 4, async (i) => {
      const leadId = `active-${i}`;
      const t = performance.now();
      await engine.post('/v1/events', { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} });
      for (;;) {
        const response = await fetch(`${engine.url}/v1/handoffs/handoff-${leadId}-1`, { headers: { authorization: `Bearer ${KEY}` } });
        await response.arrayBuffer();
        if (response.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      speeds.push(performance.now() - t);
    });
    speeds.sort((a, b) => a - b);
    await engine.close();

    console.log(
      JSON.stringify({
        bench: 'api',
        config: { raw: RAW, single: SINGLE, batched: BATCHED, batch: BATCH, concurrency: CONCURRENCY, activeLeads: ACTIVE_LEADS, handoffs: HANDOFFS },
        raw: { signalWithStartPerSecond: round(rawPerSecond), p50Ms: raw.p50Ms, p99Ms: raw.p99Ms },
        single: { acceptedPerSecond: round(SINGLE / single.seconds), sustainedPerSecond: round(singleSustained), p50Ms: single.p50Ms, p99Ms: single.p99Ms, ratioToRaw: round(singleSustained / rawPerSecond, 3) },
        batched,
        batchedWithWorker,
        speedToLead: { p50Ms: round(percentile(speeds, 50)), p99Ms: round(percentile(speeds, 99)), maxMs: round(speeds.at(-1) ?? NaN) },
      }),
    );
  } finally {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await connection.close();
    await pool.end();
    await Promise.allSettled([temporal.stop(), postgres.stop()]);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench/api: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
