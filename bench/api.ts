// bench/api: the HTTP API against a real Temporal (the dev server by default) and PostgreSQL, in one run.
//   1. raw: signalWithStart calls per second from a bare client to a workflow type no worker runs
//      (what Temporal itself takes);
//   2. single: one event per POST /v1/events, BENCH_CONCURRENCY requests in flight: accepted/s with
//      p50/p99 latency, and sustained/s until the relay has signalled every event;
//   3. batched: the same with BENCH_BATCH events per request.
//   Phases 1-4 go round BENCH_INGEST_LEADS leads (200): set it to the number of events for one
//   event a lead, so that no two share a signal.
//   Phases 1-3 run before the lead worker starts, so that each compares the ingestion path (HTTP,
//   PostgreSQL, the relay) with the raw signal alone, neither paying for the workflows' work;
//   4. batched again, with the lead worker folding every event into its lead on the same machine;
//   5. speed to lead: with BENCH_ACTIVE_LEADS leads running on the lead worker, the time from a demo
//      request's POST to its handoff task being readable at GET /v1/handoffs/:id, p50/p99;
//   6. speed to the rep: the same leads, reps now routed to (created through POST /v1/reps, covering
//      the leads' country at every hour), and other leads' page views posted through the API at a
//      steady BENCH_BACKGROUND_RATE a second, round BENCH_BACKGROUND_LEADS leads (all the others by
//      default): BENCH_REP_HANDOFFS demo requests, one every two seconds, and the time from each
//      one's POST to the assigned rep's alert email arriving whole at a real SMTP server on
//      loopback, p50/p99 (an alert not there within a minute is missed). The lead worker sends
//      alerts as production's does (the SMTP transport of the delivery configuration); each email is
//      told apart by the handoff its signed Accept link acts on. Also, from the engine's own
//      timestamps, the p50 time to the rep's assignment, the task's writing and the alert's send;
//      and the background's achieved rate, its requests' latency and the relay's backlog at the end.
// BENCH_TEMPORAL=cluster runs it on the four-service cluster (devstack/cluster.ts) instead of the dev
// server; BENCH_API_PHASES=3 stops after the ingest figures (phases 1-3), a few minutes at most, and
// BENCH_API_PHASES=5 after speed to lead.
// Prints one JSON object; progress goes to stderr. Targets: sustained ingest ≥ 0.8 × the raw signal
// rate; speed to lead p99 ≤ 1 s and speed to the rep p99 ≤ 1.5 s under 10,000 active leads
// (BENCH_ACTIVE_LEADS; starting them takes a few minutes on two cores), the latter with 100 other
// events a second.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { NativeConnection, Worker } from '@temporalio/worker';
import { simpleParser } from 'mailparser';
import { Pool } from 'pg';
import { sendTaskQueue, type DeliveryActivities } from '../activities/types';
import { EventRelay } from '../api/relay';
import { readActionToken } from '../channels/salesAlerts';
import { seedAdminKey } from '../db/repositories/apiKeys';
import { buildApi } from '../api/app';
import { installQuietRuntime } from '../app/telemetry';
import { CHANNELS, type LeadEvent } from '../core/model/events';
import { migrate } from '../db/migrate';
import { getFreePort } from '../app/net';
import { parseConfig } from '../app/config';
import { startTestPostgres } from '../devstack/postgres';
import { startSmtpServer } from '../devstack/smtpSink';
import { BENCH_TEMPORAL, startTemporalUnderTest } from './temporalUnderTest';
import { defaultCatalog } from '../sequences/library';
import { publishVersions } from '../db/repositories/sequenceVersions';
import { bundleLeadWorkflows } from '../workers/bundle';
import { LEAD_TASK_QUEUE } from '../workflows/contract';
import { engineWorkerOptions } from '../workers/leadWorker';
import { smtpTransport } from '../workers/deliveryWorker';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
/** Run phases 1 to this one: 3 stops after the ingest figures, which need no lead worker; 5 after speed to lead. */
const PHASES = env('BENCH_API_PHASES', 6);
const RAW = env('BENCH_RAW_SIGNALS', 3_000);
const SINGLE = env('BENCH_SINGLE_EVENTS', 3_000);
const BATCHED = env('BENCH_BATCHED_EVENTS', 20_000);
const BATCH = env('BENCH_BATCH', 100);
const CONCURRENCY = env('BENCH_CONCURRENCY', 32);
/** The leads phases 1-4 send to, round and round: events of one lead that meet in the relay share a signal; as many as the events, none do. */
const INGEST_LEADS = env('BENCH_INGEST_LEADS', 200);
const ACTIVE_LEADS = env('BENCH_ACTIVE_LEADS', 10_000);
const HANDOFFS = env('BENCH_HANDOFFS', 40);
const REP_HANDOFFS = env('BENCH_REP_HANDOFFS', 40);
const BACKGROUND_RATE = env('BENCH_BACKGROUND_RATE', 100);
/** How many leads the background's page views go round, one after another; all but the demo requests' unless told. */
const BACKGROUND_LEADS = Math.min(env('BENCH_BACKGROUND_LEADS', Infinity), ACTIVE_LEADS - HANDOFFS - REP_HANDOFFS);
const KEY = `bench-admin-${randomUUID()}`;
const LINK_SECRET = 'bench-link-secret-0123456789abcdef';
/** The targets, p99 in ms: speed to lead under 10,000 active leads, and speed to the rep with 100 events/s besides. */
const SPEED_TO_LEAD_TARGET_MS = 1_000;
const SPEED_TO_REP_TARGET_MS = 1_500;
/** Background events run this long before the first demo request, so that it meets them at a steady rate. */
const BACKGROUND_WARMUP_MS = 5_000;
/** Phase 6's demo requests arrive this far apart, each on its own (an open loop, as leads ask), few enough not to load the engine themselves. */
const DEMO_INTERVAL_MS = 2_000;
/** A demo request whose alert has not arrived by then counts as missed, so that a saturated engine ends the run. */
const ALERT_TIMEOUT_MS = 60_000;
/** Background requests unanswered at once, at most. */
const BACKGROUND_MAX_IN_FLIGHT = 500;

/** Keep-alive connections, as a tracking pipeline holds them: the load generator shares the cores, so it must cost little (fetch costs several times more). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(port: number, method: 'GET' | 'POST', route: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) };
    const sent = http.request({ host: '127.0.0.1', port, method, path: route, agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `post(k)` `perSecond` times a second on a fixed schedule (an open loop: a slow answer does
 * not slow the next call) until stopped; then the rate achieved, the calls' p50/p99 and failures.
 * A call due while `maxInFlight` are unanswered is skipped, and counted: a backlog without bound
 * would take the process's sockets, not measure anything more.
 */
function steadyRate(perSecond: number, maxInFlight: number, post: (k: number) => Promise<void>) {
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let accepted = 0;
  let failed = 0;
  let skipped = 0;
  let stopped = false;
  const began = performance.now();
  const schedule = (async () => {
    for (let k = 0; ; k++) {
      const wait = began + (k * 1000) / perSecond - performance.now();
      if (wait > 0) await sleep(wait);
      if (stopped) return;
      if (inFlight.size >= maxInFlight) {
        skipped++;
        continue;
      }
      const t = performance.now();
      const call: Promise<void> = post(k).then(
        () => {
          latencies.push(performance.now() - t);
          if (!stopped) accepted++;
        },
        () => void failed++,
      );
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call));
    }
  })();
  return async () => {
    stopped = true;
    const seconds = (performance.now() - began) / 1000;
    await schedule;
    await Promise.all(inFlight);
    latencies.sort((a, b) => a - b);
    return { targetPerSecond: perSecond, acceptedPerSecond: round(accepted / seconds), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), failed, skipped };
  };
}

async function main() {
  installQuietRuntime();
  if (!(BACKGROUND_RATE > 0)) throw new Error(`BENCH_BACKGROUND_RATE (${BACKGROUND_RATE}) must be a rate above 0`);
  if (!(BACKGROUND_LEADS >= 1)) throw new Error(`BENCH_BACKGROUND_LEADS (${BACKGROUND_LEADS}) must be at least 1`);
  if (ACTIVE_LEADS <= HANDOFFS + REP_HANDOFFS) throw new Error(`BENCH_ACTIVE_LEADS (${ACTIVE_LEADS}) must exceed BENCH_HANDOFFS + BENCH_REP_HANDOFFS (${HANDOFFS + REP_HANDOFFS}): the rest post the background events`);
  log(`starting PostgreSQL and the Temporal ${BENCH_TEMPORAL}`);
  const [postgres, temporal] = await Promise.all([startTestPostgres(), startTemporalUnderTest()]);
  const pool = new Pool({ connectionString: postgres.url, max: 20 });
  // Stopping the embedded server at the end closes idle connections under the pool.
  pool.on('error', () => undefined);
  const connection = await NativeConnection.connect({ address: temporal.address });
  // The sales alerts' SMTP server: when each alert arrived whole, by the handoff its links act on.
  const alertArrivals = new Map<string, (at: number) => void>();
  const smtp = await startSmtpServer({
    onMessage: (raw) => {
      const at = performance.now();
      // Read after the 250: the sender does not wait for the bench's parsing.
      void simpleParser(raw).then((mail) => {
        const token = /^Accept: \S+\/s\/(\S+)$/m.exec(String(mail.text))?.[1];
        const handoffId = token ? readActionToken(token, LINK_SECRET)?.handoffId : undefined;
        if (handoffId) alertArrivals.get(handoffId)?.(at);
      });
    },
  });
  // As the lead worker of `nurture start` gets it from the delivery configuration (app/parts.ts).
  const alerts = { transport: smtpTransport(smtp.url), from: 'Nurture <alerts@bench.example>', publicUrl: 'https://nurture.bench.example', signingSecret: LINK_SECRET };
  const workers: Worker[] = [];
  const senders: Worker[] = [];
  let running: Promise<unknown> | undefined;
  const servers: (() => Promise<void>)[] = [];
  try {
    await migrate(pool);
    await seedAdminKey(pool, KEY);
    const catalog = defaultCatalog();
    await publishVersions(pool, catalog.versions);
    const { client } = temporal;
    // Alerts go out only once a rep takes a handoff: phase 6 creates the first reps.
    const workflowBundle = await bundleLeadWorkflows();
    // The cache as production sizes it (NURTURE_WORKFLOW_CACHE).
    const maxCachedWorkflows = parseConfig(process.env).NURTURE_WORKFLOW_CACHE;
    // A worker created and never run holds its connection open: none when the run stops after phase 3.
    if (PHASES > 3) for (const options of engineWorkerOptions({ connection, pool, catalog, workflowBundle, alerts, maxCachedWorkflows })) workers.push(await Worker.create(options));
    // Touches are bench/channels' to measure: here every send queue takes each touch at once. A lead
    // waits on its send before its next input, so without them a lead created inside its send window
    // would wait for good, and its demo request behind it (phases 5 and 6 hung in German office hours).
    const deliverTouch: DeliveryActivities['deliverTouch'] = async () => ({ status: 'sent' });
    if (PHASES > 3) for (const channel of CHANNELS) senders.push(await Worker.create({ connection, taskQueue: sendTaskQueue(channel), activities: { deliverTouch } }));
    /** The API and its relay on a free loopback port, starting lead workflows on `taskQueue`. */
    const serve = async (taskQueue: string) => {
      const start = { taskQueue };
      const relay = new EventRelay(pool, client, { start });
      // One key drives the whole load: its rate limit would stop the run, not measure it.
      const app = await buildApi({ pool, client, relay, start, erasureSecret: 'bench-erasure-secret-0123456789', rateLimitPerMinute: 10_000_000 });
      const port = await getFreePort();
      await app.listen({ host: '127.0.0.1', port });
      let closing: Promise<void> | undefined;
      const close = () => (closing ??= app.close().then(() => relay.stop()));
      // Closed in the end on a failure too: a relay left polling would keep the process alive.
      servers.push(close);
      return {
        post: async (route: string, body: unknown) => {
          const { status, text } = await request(port, 'POST', route, JSON.stringify(body));
          if (status >= 300) throw new Error(`${route}: ${status} ${text}`);
        },
        get: (route: string) => request(port, 'GET', route),
        close,
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
      await client.workflow.signalWithStart('benchRawWorkflow', { workflowId: `raw-${i % INGEST_LEADS}`, taskQueue: 'bench-raw', args: [], signal: 'event', signalArgs: [{ i }] });
    });
    const rawPerSecond = RAW / raw.seconds;

    // Phases 2 and 3 start their leads on a task queue no worker polls, as the raw calls do.
    const ingestOnly = await serve('bench-ingest-only');
    log(`2. single: ${SINGLE} events, one per request, to ${INGEST_LEADS} leads`);
    const began = performance.now();
    const single = await load(SINGLE, CONCURRENCY, (i) => ingestOnly.post('/v1/events', pageView(`single-${i % INGEST_LEADS}`)));
    const singleSustained = SINGLE / (await allDelivered(began));

    /** BATCHED events in requests of BATCH, to INGEST_LEADS leads; request latency and the sustained rate. */
    const batchedPhase = async (api: Awaited<ReturnType<typeof serve>>, prefix: string) => {
      const began = performance.now();
      const requests = await load(Math.ceil(BATCHED / BATCH), Math.min(CONCURRENCY, 8), (i) =>
        api.post('/v1/events', { events: Array.from({ length: BATCH }, (_, j) => pageView(`${prefix}-${(i * BATCH + j) % INGEST_LEADS}`)) }),
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
    log(`3. batched: ${BATCHED} events in batches of ${BATCH}, to ${INGEST_LEADS} leads`);
    const batched = await batchedPhase(ingestOnly, 'batched');
    await ingestOnly.close();
    const ingest = {
      temporal: BENCH_TEMPORAL,
      raw: { signalWithStartPerSecond: round(rawPerSecond), p50Ms: raw.p50Ms, p99Ms: raw.p99Ms },
      single: { acceptedPerSecond: round(SINGLE / single.seconds), sustainedPerSecond: round(singleSustained), requestP50Ms: single.p50Ms, requestP99Ms: single.p99Ms, ratioToRaw: round(singleSustained / rawPerSecond, 3) },
      batched,
    };
    if (PHASES <= 3) return void console.log(JSON.stringify({ bench: 'api', config: { raw: RAW, single: SINGLE, batched: BATCHED, batch: BATCH, concurrency: CONCURRENCY, ingestLeads: INGEST_LEADS }, ...ingest }));

    running = Promise.all([...workers, ...senders].map((each) => each.run()));
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
        if ((await engine.get(`/v1/handoffs/handoff-${leadId}-1`)).status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      speeds.push(performance.now() - t);
    });
    speeds.sort((a, b) => a - b);
    const speedToLead = { p50Ms: round(percentile(speeds, 50)), p99Ms: round(percentile(speeds, 99)), maxMs: round(speeds.at(-1) ?? NaN), targetP99Ms: SPEED_TO_LEAD_TARGET_MS };
    if (PHASES <= 5) return void console.log(JSON.stringify({ bench: 'api', config: { raw: RAW, single: SINGLE, batched: BATCHED, batch: BATCH, concurrency: CONCURRENCY, activeLeads: ACTIVE_LEADS, handoffs: HANDOFFS }, ...ingest, batchedWithWorker, speedToLead }));

    log(`6. speed to the rep: ${REP_HANDOFFS} demo requests, other leads' page views at ${BACKGROUND_RATE}/s`);
    // Reps for the leads' country who work at every hour and never fill up: routing always finds one working.
    for (const n of [1, 2, 3]) {
      await engine.post('/v1/reps', {
        id: `bench-rep-${n}`,
        name: `Bench Rep ${n}`,
        email: `rep-${n}@bench.example`,
        territories: [profile.country],
        workingHours: { zone: 'UTC', hours: '00:00-24:00,mon-sun' },
        channels: { email: true },
        capacity: 10_000,
      });
    }
    // Leads past those of phases 5 and 6, one after another: with more of them than the worker caches
    // (NURTURE_WORKFLOW_CACHE), each page view replays its lead's history, the worst case for the cache.
    const stopBackground = steadyRate(BACKGROUND_RATE, BACKGROUND_MAX_IN_FLIGHT, (k) => engine.post('/v1/events', pageView(`active-${HANDOFFS + REP_HANDOFFS + (k % BACKGROUND_LEADS)}`)));
    const toRep: number[] = [];
    /** Demo requests whose alert did not arrive within ALERT_TIMEOUT_MS, with what the engine recorded of each. */
    const missed: { handoffId: string; recorded: unknown }[] = [];
    /** Wall-clock time of each demo request's POST, to place the engine's own timestamps of its handoff. */
    const postedAt = new Map<string, number>();
    const demoRequest = async (i: number) => {
      const leadId = `active-${HANDOFFS + i}`;
      const handoffId = `handoff-${leadId}-1`;
      let timer: NodeJS.Timeout | undefined;
      const arrived = new Promise<number | undefined>((resolve) => {
        alertArrivals.set(handoffId, resolve);
        timer = setTimeout(() => resolve(undefined), ALERT_TIMEOUT_MS);
      });
      postedAt.set(handoffId, Date.now());
      const t = performance.now();
      try {
        await engine.post('/v1/events', { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} });
        const at = await arrived;
        if (at !== undefined) {
          toRep.push(at - t);
          log(`   ${handoffId}: alert received ${round(at - t)} ms after the POST`);
          return;
        }
        // What the engine recorded of it, to tell a missing handoff from an unrouted one or an unsent alert.
        const { rows } = await pool.query(
          `SELECT h.owner, (SELECT json_agg(a.decision->'rule') FROM handoff_assignments a WHERE a.handoff_id = h.id) AS rules,
                  (SELECT json_agg(json_build_object('rep', al.rep, 'status', al.status)) FROM alerts al WHERE al.handoff_id = h.id) AS alerts
             FROM handoffs h WHERE h.id = $1`,
          [handoffId],
        );
        missed.push({ handoffId, recorded: rows[0] ?? 'no handoff yet' });
        log(`   ${handoffId}: no alert within ${ALERT_TIMEOUT_MS} ms; recorded: ${JSON.stringify(rows[0] ?? 'no handoff yet')}`);
      } finally {
        clearTimeout(timer);
        alertArrivals.delete(handoffId);
      }
    };
    let background: Awaited<ReturnType<typeof stopBackground>> & { pendingAtEnd?: number };
    try {
      await sleep(BACKGROUND_WARMUP_MS);
      const requests: Promise<void>[] = [];
      for (let i = 0; i < REP_HANDOFFS; i++) {
        if (i) await sleep(DEMO_INTERVAL_MS);
        requests.push(demoRequest(i));
      }
      await Promise.all(requests);
      // Events accepted but not yet signalled to their leads: a backlog means the relay fell behind the rate.
      const { rows } = await pool.query('SELECT count(*)::int AS pending FROM events WHERE delivered_at IS NULL');
      background = { ...(await stopBackground()), pendingAtEnd: rows[0].pending as number };
    } finally {
      // Stopped on a failure too, or its timer would keep the process alive.
      background ??= await stopBackground();
    }
    toRep.sort((a, b) => a - b);
    const toRepAll = [...toRep, ...missed.map(() => Infinity)];
    const finite = (value: number) => (Number.isFinite(value) ? round(value) : null);
    await engine.close();
    // Where the time went, from the engine's timestamps (the same clock): the rep chosen (assignRep),
    // the task written (openHandoffTask), the alert's send begun (notifyRep); p50 after the POST.
    const { rows: stamps } = await pool.query<{ id: string; assigned: number | null; written: number | null; alerting: number | null }>(
      `SELECT ids.id, extract(epoch FROM a.at) * 1000 AS assigned, extract(epoch FROM h.updated_at) * 1000 AS written, extract(epoch FROM al.claimed_at) * 1000 AS alerting
         FROM unnest($1::text[]) AS ids(id)
         LEFT JOIN handoffs h ON h.id = ids.id
         LEFT JOIN handoff_assignments a ON a.handoff_id = ids.id AND a.round = 0
         LEFT JOIN alerts al ON al.handoff_id = ids.id AND al.kind = 'assigned'`,
      [[...postedAt.keys()]],
    );
    // A stage not reached yet counts as slower than any reached.
    const stageP50 = (stage: 'assigned' | 'written' | 'alerting') =>
      finite(percentile(stamps.map((row) => (row[stage] === null ? Infinity : Number(row[stage]) - postedAt.get(row.id)!)).sort((a, b) => a - b), 50));

    console.log(
      JSON.stringify({
        bench: 'api',
        config: { raw: RAW, single: SINGLE, batched: BATCHED, batch: BATCH, concurrency: CONCURRENCY, activeLeads: ACTIVE_LEADS, handoffs: HANDOFFS, repHandoffs: REP_HANDOFFS, backgroundRate: BACKGROUND_RATE, backgroundLeads: BACKGROUND_LEADS, workflowCache: parseConfig(process.env).NURTURE_WORKFLOW_CACHE },
        ...ingest,
        batchedWithWorker,
        speedToLead,
        speedToRep: {
          // A missed alert counts as slower than any received: with any missed, p99 is null (not measured).
          p50Ms: finite(percentile(toRepAll, 50)),
          p99Ms: finite(percentile(toRepAll, 99)),
          maxMs: finite(toRepAll.at(-1) ?? NaN),
          targetP99Ms: SPEED_TO_REP_TARGET_MS,
          metTarget: percentile(toRepAll, 99) <= SPEED_TO_REP_TARGET_MS,
          alertsReceived: toRep.length,
          alertsMissed: missed.length,
          stagesP50Ms: { repAssigned: stageP50('assigned'), taskWritten: stageP50('written'), alertSending: stageP50('alerting') },
          background,
        },
      }),
    );
  } finally {
    await Promise.allSettled(servers.map((close) => close()));
    for (const each of [...workers, ...senders]) if (each.getState() === 'RUNNING') each.shutdown();
    await running?.catch(() => undefined);
    await connection.close();
    alerts.transport.close();
    await smtp.close();
    await pool.end();
    await temporal.stop();
    await postgres.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench/api: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
