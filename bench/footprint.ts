// bench/footprint: what one lead costs over a year, on the real parts: the lead and handoff
// workflows on the production workers (engineWorkerOptions, local activities on PostgreSQL), the
// delivery workers sending email to an SMTP server on loopback, and the HTTP API taking each lead
// (POST /v1/leads, with email consent, as a nurture audience gives it) and its events (POST
// /v1/events, through the relay) at the simulated time they happen. The time-skipping test server
// runs the year in minutes: it skips to the next timer only when no workflow or activity task is
// outstanding, so every touch, wake-up and fold happens as it would in real time.
//
// Two cohorts of BENCH_FOOTPRINT_LEADS leads each (bench/syntheticLeads.ts, arriving within a
// month), one after the other: `engaged`, with BENCH_FOOTPRINT_EVENTS events each over its year
// (page views, email engagement, downloads, now and then a demo request), and `quiet`, with none
// after its creation. The capacity model (scripts/capacity.ts) reads a lead with another number of
// events as lying between the two.
//
// Per lead and year of each cohort (a lead's year runs from its arrival to the cohort's end):
//   - history events and bytes (the encoded protobuf), summed over every run of the lead and of
//     the handoffs it started; workflow tasks (the worker's CPU comes in these) and activity tasks;
//   - Temporal Cloud billable actions, counted from those histories (the rule at `billableActions`);
//   - the state query's answer in bytes, the lead as its workflow holds it, after the year;
//   - PostgreSQL: rows added, bytes added (pg_total_relation_size: heap, indexes and TOAST), row
//     writes (inserts, updates, deletes) per table, and WAL bytes written, each the cohort's own
//     (measured before and after it; the previous cohort's workflows are terminated first).
// Prints one JSON object; progress goes to stderr. Nothing here has a target: the figures feed
// `npm run capacity`.
//
// Caveats: a lead with a handoff meets no rep (there are none), so each handoff runs its SLA
// escalations out, as on an unstaffed desk. Histories are the test server's, a separate
// implementation of the server: a production cluster's may differ a little in size. Small tables'
// bytes are page-granular, so with few leads they read high.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { escapeIdentifier, Pool } from 'pg';
import { buildApi } from '../api/app';
import { EventRelay } from '../api/relay';
import { parseConfig } from '../app/config';
import { installQuietRuntime } from '../app/telemetry';
import { loadTemplates, TemplateRenderer } from '../channels/templates';
import type { PastLead } from '../core/backtest';
import { migrate } from '../db/migrate';
import { seedAdminKey } from '../db/repositories/apiKeys';
import { publishVersions } from '../db/repositories/sequenceVersions';
import { startTestPostgres } from '../devstack/postgres';
import { startSmtpServer } from '../devstack/smtpSink';
import { placeholderOffers } from '../devstack/start';
import { startTimeSkippingServer } from '../devstack/temporal';
import { defaultCatalog, TEMPLATES_DIR } from '../sequences/library';
import { bundleLeadWorkflows } from '../workers/bundle';
import { deliveryWorkerOptions } from '../workers/deliveryWorker';
import { engineWorkerOptions } from '../workers/leadWorker';
import { leadWorkflowId, stateQuery } from '../workflows/contract';
import { LEAD_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';
import { ARRIVAL_WINDOW, syntheticLead, YEAR } from './syntheticLeads';

const LEADS = Number(process.env.BENCH_FOOTPRINT_LEADS ?? 30);
const EVENTS_PER_LEAD = Number(process.env.BENCH_FOOTPRINT_EVENTS ?? 24);
const KEY = 'bench-footprint-admin-key-0123456789';
const PUBLIC_URL = 'https://nurture.bench.example';

const log = (line: string) => process.stderr.write(`[bench/footprint ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every run of a workflow, oldest first, followed back from the latest through continue-as-new. */
async function runsOf(client: Client, workflowId: string): Promise<History[]> {
  const runs: History[] = [];
  let runId: string | undefined;
  do {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.unshift(history);
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  } while (runId);
  return runs;
}

/**
 * Temporal Cloud's billable actions in one run's history, by its definitions
 * (docs.temporal.io/cloud/actions): a workflow started (a client start, a continue-as-new; a
 * child's first run is counted with its parent) is one; a signal received is one, except the signal of a
 * signal-with-start that started the run (one action for both); an update accepted is one; a timer
 * started is one (the SDK's `condition` timeout included); a search attribute upsert is one, unless
 * it writes only TemporalChangeVersion (patch markers' upserts are exempt); each attempt of an
 * activity is one; the markers one workflow task records (local activities, patches) are one
 * together; a child workflow's start is two (its start and its execution). Not in a history, so not
 * counted: queries (the API's lead page asks one), activity heartbeats (a send heartbeats only past
 * 3 s, which no send here reaches) and rejected updates.
 */
function billableActions(history: History, { child }: { child: boolean }) {
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const count = (matches: (event: HistoryEvent) => boolean) => events.filter(matches).length;
  const markerTasks = new Set(events.flatMap((event) => (event.markerRecordedEventAttributes ? [String(event.markerRecordedEventAttributes.workflowTaskCompletedEventId)] : [])));
  const signalWithStart = !started?.continuedExecutionRunId && events[1]?.workflowExecutionSignaledEventAttributes ? 1 : 0;
  return {
    workflowStarted: child && !started?.continuedExecutionRunId ? 0 : 1,
    signals: count((event) => !!event.workflowExecutionSignaledEventAttributes) - signalWithStart,
    updates: count((event) => !!event.workflowExecutionUpdateAcceptedEventAttributes),
    timers: count((event) => !!event.timerStartedEventAttributes),
    searchAttributeUpserts: count((event) => {
      const fields = Object.keys(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
      return fields.some((name) => name !== 'TemporalChangeVersion');
    }),
    activityAttempts: events.reduce((sum, event) => sum + (event.activityTaskStartedEventAttributes?.attempt ?? 0), 0),
    markerTasks: markerTasks.size,
    childWorkflows: 2 * count((event) => !!event.startChildWorkflowExecutionInitiatedEventAttributes),
  };
}
type Actions = ReturnType<typeof billableActions>;

/** A lead's histories (every run of it and of each handoff it started), summed. */
async function historyFootprint(client: Client, leadId: string) {
  const total = { runs: 0, events: 0, bytes: 0, workflowTasks: 0, activityTasks: 0, actions: {} as Record<keyof Actions, number> };
  const add = (history: History, child: boolean) => {
    const events = history.events ?? [];
    total.runs++;
    total.events += events.length;
    total.bytes += temporal.api.history.v1.History.encode(history).finish().byteLength;
    total.workflowTasks += events.filter((event) => event.workflowTaskCompletedEventAttributes).length;
    total.activityTasks += events.filter((event) => event.activityTaskScheduledEventAttributes).length;
    for (const [kind, n] of Object.entries(billableActions(history, { child })) as [keyof Actions, number][]) total.actions[kind] = (total.actions[kind] ?? 0) + n;
  };
  const leadRuns = await runsOf(client, leadWorkflowId(leadId));
  for (const run of leadRuns) add(run, false);
  // A handoff started again by a retried command is the same child: once.
  const handoffIds = new Set(leadRuns.flatMap((run) => (run.events ?? []).flatMap((event) => event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? [])));
  for (const handoffId of handoffIds) for (const run of await runsOf(client, handoffId)) add(run, true);
  return { ...total, handoffIds: [...handoffIds] };
}

// --- PostgreSQL ------------------------------------------------------------------------------------

interface TableReading {
  rows: number;
  bytes: number;
  writes: number;
}

/**
 * Each table's rows, size (heap, indexes, TOAST) and row writes so far, and the WAL position, once
 * every connection's table counters are published: PostgreSQL publishes them after a connection has
 * been idle for 10 s (PGSTAT_IDLE_INTERVAL).
 */
async function readPostgres(pool: Pool) {
  await sleep(11_000);
  const { rows: tables } = await pool.query<{ name: string; bytes: string; writes: string }>(
    'SELECT relname AS name, pg_total_relation_size(relid) AS bytes, n_tup_ins + n_tup_upd + n_tup_del AS writes FROM pg_stat_user_tables',
  );
  const readings: Record<string, TableReading> = {};
  for (const table of tables) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${escapeIdentifier(table.name)}`);
    readings[table.name] = { rows: Number(rows[0]!.n), bytes: Number(table.bytes), writes: Number(table.writes) };
  }
  const { rows } = await pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn');
  return { tables: readings, walLsn: rows[0]!.lsn };
}

/** What changed between two readings, per lead-year, the tables that changed only. */
async function postgresFootprint(pool: Pool, before: Awaited<ReturnType<typeof readPostgres>>, after: Awaited<ReturnType<typeof readPostgres>>, leadYears: number) {
  const per = (value: number) => round(value / leadYears);
  const tables: Record<string, TableReading> = {};
  for (const [name, now] of Object.entries(after.tables)) {
    const was = before.tables[name] ?? { rows: 0, bytes: 0, writes: 0 };
    if (now.rows === was.rows && now.bytes === was.bytes && now.writes === was.writes) continue;
    tables[name] = { rows: per(now.rows - was.rows), bytes: per(now.bytes - was.bytes), writes: per(now.writes - was.writes) };
  }
  const sum = (field: keyof TableReading) => round(Object.values(tables).reduce((total, table) => total + table[field], 0));
  const { rows } = await pool.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($1, $2) AS bytes', [after.walLsn, before.walLsn]);
  return { rows: sum('rows'), bytes: sum('bytes'), rowWrites: sum('writes'), walBytes: per(Number(rows[0]!.bytes)), tables };
}

// --- the run ---------------------------------------------------------------------------------------

async function main() {
  installQuietRuntime();
  const began = performance.now();
  log('starting PostgreSQL, the time-skipping server and the SMTP server; bundling the workflows');
  const [postgres, env, workflowBundle] = await Promise.all([startTestPostgres(), startTimeSkippingServer(LEAD_SEARCH_ATTRIBUTES), bundleLeadWorkflows()]);
  // Stopped in reverse order, on a failure too.
  const stops: (() => Promise<unknown> | void)[] = [() => postgres.stop(), () => env.teardown()];
  try {
    const pool = new Pool({ connectionString: postgres.url, max: 20 });
    // Stopping the embedded server at the end closes idle connections under the pool.
    pool.on('error', () => undefined);
    stops.push(() => pool.end());
    let emails = 0;
    const smtp = await startSmtpServer({ onMessage: () => void emails++ });
    stops.push(() => smtp.close());
    const catalog = defaultCatalog();
    const workflowCache = parseConfig(process.env).NURTURE_WORKFLOW_CACHE;
    await migrate(pool);
    await seedAdminKey(pool, KEY);
    await publishVersions(pool, catalog.versions);
    const connection = env.nativeConnection;
    const delivery = deliveryWorkerOptions({
      connection,
      pool,
      catalog,
      renderer: new TemplateRenderer(loadTemplates(TEMPLATES_DIR)),
      config: {
        publicUrl: PUBLIC_URL,
        sender: { name: 'Sam Lee', company: 'Relay', address: '1 Main St, Springfield' },
        offers: placeholderOffers(catalog, PUBLIC_URL),
        signingSecret: 'bench-link-secret-0123456789abcdef',
        email: { smtpUrl: smtp.url, from: 'Sam Lee <sam@relay.example>', domain: 'relay.example' },
      },
    });
    stops.push(delivery.close);
    const workers: Worker[] = [];
    for (const options of [...engineWorkerOptions({ connection, pool, catalog, workflowBundle, maxCachedWorkflows: workflowCache }), ...delivery.options]) workers.push(await Worker.create(options));
    const running = Promise.all(workers.map((worker) => worker.run()));
    stops.push(async () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    });
    const relay = new EventRelay(pool, env.client);
    stops.push(() => relay.stop());
    // Events carry the simulated time, up to a year and a month past the wall clock's.
    const api = await buildApi({ pool, client: env.client, relay, erasureSecret: 'bench-erasure-secret-0123456789', eventTimeBounds: { earliest: 0, maxSkewMs: 2 * YEAR }, rateLimitPerMinute: 10_000_000 });
    stops.push(() => api.close());
    const post = async (url: string, payload: object) => {
      const response = await api.inject({ method: 'POST', url, headers: { authorization: `Bearer ${KEY}` }, payload });
      if (response.statusCode >= 300) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    };
    /** Until the relay has signalled every stored event: the server skips no time past a signal it holds, but it must hold it first. */
    const relayed = async () => {
      for (;;) {
        const { rows } = await pool.query<{ pending: number }>('SELECT count(*)::int AS pending FROM events WHERE delivered_at IS NULL');
        if (rows[0]!.pending === 0) return;
        await sleep(5);
      }
    };

    // Each cohort's figures run from the previous reading to its own.
    let postgresReading = await readPostgres(pool);
    /** One cohort's year: its leads and their events posted at their simulated times, then its figures per lead-year. */
    const measureCohort = async (name: string, firstLead: number, eventsPerLead: number) => {
      const before = postgresReading;
      const emailsBefore = emails;
      const origin = await env.currentTimeMs();
      const leads: PastLead[] = Array.from({ length: LEADS }, (_, k) => syntheticLead(firstLead + k, eventsPerLead, origin));
      const steps = [
        ...leads.map(({ lead, start }) => ({ at: start, post: () => post('/v1/leads', { ...lead, consent: { email: true } }) })),
        ...leads.flatMap(({ events }) => events.map((event) => ({ at: Date.parse(event.occurredAt), post: () => post('/v1/events', event).then(relayed) }))),
      ].sort((a, b) => a.at - b.at);
      const end = origin + ARRIVAL_WINDOW + YEAR;
      log(`${name}: ${LEADS} leads, ${eventsPerLead} events each, ${steps.length} posts over ${Math.round((end - origin) / 86_400_000)} simulated days`);
      const wallBegan = performance.now();
      for (const [i, step] of steps.entries()) {
        const wait = step.at - (await env.currentTimeMs());
        if (wait > 0) await env.sleep(wait);
        await step.post();
        if ((i + 1) % 100 === 0) log(`   ${i + 1} of ${steps.length} posted, day ${Math.floor((step.at - origin) / 86_400_000)}`);
      }
      await env.sleep(end - (await env.currentTimeMs()));
      const leadYears = leads.reduce((sum, { start }) => sum + (end - start) / YEAR, 0);
      log(`   the year is over after ${round((performance.now() - wallBegan) / 1000)} s; reading histories and PostgreSQL`);

      // The state query also waits out the last tasks of the year.
      const views = await Promise.all(leads.map(({ lead }) => env.client.workflow.getHandle(leadWorkflowId(lead.id)).query(stateQuery)));
      const histories: Awaited<ReturnType<typeof historyFootprint>>[] = [];
      for (const { lead } of leads) histories.push(await historyFootprint(env.client, lead.id));
      postgresReading = await readPostgres(pool);
      const postgresFigures = await postgresFootprint(pool, before, postgresReading, leadYears);
      // This cohort's workflows would go on writing into the next cohort's figures.
      const ids = [...leads.map(({ lead }) => leadWorkflowId(lead.id)), ...histories.flatMap((h) => h.handoffIds)];
      await Promise.allSettled(ids.map((id) => env.client.workflow.getHandle(id).terminate('bench/footprint: cohort measured')));

      const per = (value: number) => round(value / leadYears);
      const sum = (field: (h: (typeof histories)[number]) => number) => histories.reduce((total, h) => total + field(h), 0);
      const actionsByKind = Object.fromEntries(Object.keys(histories[0]!.actions).map((kind) => [kind, per(sum((h) => h.actions[kind as keyof Actions]))]));
      const actions = per(sum((h) => Object.values(h.actions).reduce((a, b) => a + b, 0)));
      return {
        leads: LEADS,
        leadYears: round(leadYears, 2),
        eventsPerLeadYear: per(LEADS * eventsPerLead),
        wallSeconds: round((performance.now() - wallBegan) / 1000),
        perLeadYear: {
          historyEvents: per(sum((h) => h.events)),
          historyBytes: per(sum((h) => h.bytes)),
          runs: per(sum((h) => h.runs)),
          workflowTasks: per(sum((h) => h.workflowTasks)),
          activityTasks: per(sum((h) => h.activityTasks)),
          handoffs: per(sum((h) => h.handoffIds.length)),
          touches: per(views.reduce((total, view) => total + (view.counters.touches ?? 0), 0)),
          emailsReceived: per(emails - emailsBefore),
          actions,
          actionsByKind,
          postgres: postgresFigures,
        },
        perLeadMonth: { actions: round(actions / 12) },
        stateViewBytes: Math.round(views.reduce((total, view) => total + Buffer.byteLength(JSON.stringify(view)), 0) / views.length),
      };
    };

    const engaged = await measureCohort('engaged', 0, EVENTS_PER_LEAD);
    const quiet = await measureCohort('quiet', LEADS, 0);
    console.log(
      JSON.stringify({
        bench: 'footprint',
        temporal: 'time-skipping test server',
        config: { leadsPerCohort: LEADS, eventsPerLead: EVENTS_PER_LEAD, workflowCache, cpus: os.availableParallelism() },
        cohorts: { engaged, quiet },
        wallSeconds: round((performance.now() - began) / 1000),
      }),
    );
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench/footprint: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
