// The measuring process of bench/workflows (run that file, not this one): starts a Temporal CLI dev
// server (with BENCH_TEMPORAL=cluster, the four-service cluster on an embedded PostgreSQL, whose CPU
// then counts as the server's with the four services') and in-process workers with the activities at their boundary (the default catalog, no-op
// writes, every send 'sent'), measures, stops everything (also on error or a signal) and sends one
// result object to the parent over IPC.
//
//   1. starts: leads vs no-ops, closed loop with BENCH_CONCURRENCY workflows in flight, each counted
//      once it has processed its creation (a lead: its first recordDecisions, routing into a sequence;
//      a no-op: its first activation, reported through a sink);
//   2. events: docs page views signalled with BENCH_CONCURRENCY calls in flight, until every workflow's
//      `state` query shows all of its events folded in (the same sweep for leads and no-ops);
//   3. replay: lead histories fetched from the server and replayed as `nurture replay` does, in this
//      process and then in BENCH_REPLAY_JOBS processes;
//   4. idle memory: leads started on a worker with maxCachedWorkflows = BENCH_CACHE, the process's
//      memory sampled (after gc) every BENCH_IDLE_LEADS/20 leads, including 2,500/5,000/7,500/10,000.
//
// Each phase stops taking new work when its time budget runs out (0 = no budget), so the default run
// stays near five minutes whatever the throughput; the result says how far each phase got.
//
// Environment (defaults in brackets): BENCH_LEADS [1000], BENCH_EVENTS [5000], BENCH_REPLAY [1000],
// BENCH_REPLAY_JOBS (processes for the second replay) [the number of cores, at least 2], BENCH_START_ROUNDS
// (rounds of starts, alternating which kind goes first) [4],
// BENCH_IDLE_LEADS [10000], BENCH_CONCURRENCY [32], BENCH_CACHE (the idle worker's maxCachedWorkflows)
// [1000], BENCH_WARMUP [20]; budgets BENCH_START_BUDGET_S [35, per kind], BENCH_EVENT_BUDGET_S [25, per
// kind], BENCH_REPLAY_BUDGET_S [20], BENCH_IDLE_BUDGET_S [600]; diagnostics BENCH_IDLE_MAIN_THREAD=1 and
// BENCH_TZDB=<data set> (below). The full-size run is all budgets 0.
//
// Caveats: a lead counts as started at its first recordDecisions, one workflow task before it settles
// on its timer, which flatters the lead a little. The workflows run on a worker thread whose heap gc()
// here cannot reach, so heapUsed is this thread's only and rss includes the workflow thread's garbage
// until V8 collects it there; BENCH_IDLE_MAIN_THREAD=1 shows the live workflow memory instead.
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type InjectedSinks, type LogEntry, type WorkflowBundle } from '@temporalio/worker';
import type { NamedHistory } from '../workers/history';
import { formatOutcome, replayHistories } from '../workers/replay';
import type { DeliveryActivities, HandoffActivities, LeadActivities } from '../activities/types';
import { sendTaskQueue } from '../activities/types';
import { catalogFingerprint } from '../core/catalogDiff';
import type { LeadEvent } from '../core/model/events';
import { CHANNELS } from '../core/model/events';
import { BENCH_TEMPORAL, startTemporalUnderTest, type TemporalUnderTest } from './temporalUnderTest';
import { bundleLeadWorkflows, silentLogger } from '../workers/bundle';
import { defaultCatalog } from '../sequences/library';
import { eventSignal, LEAD_TASK_QUEUE, leadWorkflowId, stateQuery } from '../workflows/contract';
import type { leadWorkflow } from '../workflows/lead';
import { noopEventSignal, noopStateQuery, type NoopSinks } from './noopWorkflow';
import { arrivalOf } from '../core/model/lead';
import { gcFunction } from './gc';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got '${raw}'`);
  return value;
}

const LEADS = envInt('BENCH_LEADS', 1_000);
const EVENTS = envInt('BENCH_EVENTS', 5_000);
const REPLAY = envInt('BENCH_REPLAY', 1_000);
const REPLAY_JOBS = Math.max(2, envInt('BENCH_REPLAY_JOBS', os.availableParallelism()));
const IDLE_LEADS = envInt('BENCH_IDLE_LEADS', 10_000);
const CONCURRENCY = Math.max(1, envInt('BENCH_CONCURRENCY', 32));
const CACHE = Math.max(2, envInt('BENCH_CACHE', 1_000));
const WARMUP = envInt('BENCH_WARMUP', 20);
const START_ROUNDS = Math.max(1, envInt('BENCH_START_ROUNDS', 4));
/**
 * Diagnostic: run the idle worker's workflows on this process's main thread (the SDK's debugMode), so
 * that heapUsed after gc() is the workflows' live memory. By default they run on a workflow thread,
 * whose heap shows in rss only.
 */
const IDLE_MAIN_THREAD = process.env.BENCH_IDLE_MAIN_THREAD === '1';
/**
 * Diagnostic: bundle the lead workflow with one of @js-joda/timezone's range-limited tz data sets (e.g.
 * `10-year-range`) instead of the full one core/model/timezone.ts imports, to see what the full data set
 * costs each workflow. Unset (the default) measures the workflows exactly as they are.
 */
const TZDB = process.env.BENCH_TZDB || undefined;
if (TZDB && !/^[a-z0-9-]+$/.test(TZDB)) throw new Error(`BENCH_TZDB must name a data set of @js-joda/timezone/dist, got '${TZDB}'`);
/** Seconds per phase (per kind for starts and events); 0 means no budget. */
const BUDGET = {
  starts: envInt('BENCH_START_BUDGET_S', 35),
  events: envInt('BENCH_EVENT_BUDGET_S', 25),
  replay: envInt('BENCH_REPLAY_BUDGET_S', 20),
  idle: envInt('BENCH_IDLE_BUDGET_S', 600),
};
/** Flat: the process's memory grows by less than this from the half-way sample to the last. */
const FLAT_GROWTH = 0.1;
const NOOP_TASK_QUEUE = 'bench-noop';
const IDLE_TASK_QUEUE = 'nurture-leads-idle';
/** How long one workflow may take to process its start, or a sweep to see every event folded in. */
const SETTLE_TIMEOUT_MS = 300_000;

const log = (line: string) => process.stderr.write(`[bench/workflows ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, digits = 0) => Number(n.toFixed(digits));
const seconds = (fromMs: number, toMs = performance.now()) => (toMs - fromMs) / 1000;
const deadlineOf = (budgetSeconds: number, from = performance.now()) => (budgetSeconds > 0 ? from + budgetSeconds * 1000 : Infinity);
const MB = 1024 * 1024;

const gc = gcFunction();

// --- the SDK's native warnings, counted ------------------------------------------------------------

/** Workflow tasks the SDK reported as slow (TMPRL1104, over 5 s) or as timed out before completion. */
const taskWarnings = { slowOver5s: 0, timedOutBeforeCompletion: 0 };
const PRINTED_PER_KIND = 3;
function logEntry(entry: LogEntry): void {
  const message = entry.message;
  let kind: keyof typeof taskWarnings | undefined;
  if (message.includes('TMPRL1104')) kind = 'slowOver5s';
  else if (message.includes('Task not found when completing')) kind = 'timedOutBeforeCompletion';
  if (kind) {
    taskWarnings[kind]++;
    if (taskWarnings[kind] > PRINTED_PER_KIND) return;
    if (taskWarnings[kind] === PRINTED_PER_KIND) log(`(further '${kind}' warnings are counted, not printed)`);
  }
  const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}` : '';
  process.stderr.write(`${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${message}${meta}\n`);
}

// --- CPU, this process's and the dev server's ---------------------------------------------------------

/** CPU seconds used so far by this process (workers, client, bench) and by its child processes (the dev server), from /proc. */
function cpuSeconds(): { worker: number; server: number | null } {
  const own = process.cpuUsage();
  let server: number | null = null;
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      // After the command in parentheses: state, ppid, ... utime (14th field) and stime (15th), in clock ticks.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      server = (server ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    }
  } catch {
    server = null; // no /proc here
  }
  return { worker: (own.user + own.system) / 1e6, server };
}
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds used between two readings. */
function cpuSince(from: ReturnType<typeof cpuSeconds>, to = cpuSeconds()) {
  return { worker: to.worker - from.worker, server: from.server === null || to.server === null ? null : to.server - from.server };
}

// --- bookkeeping -------------------------------------------------------------------------------------

/** When each workflow (by workflow id) reached a point, as seen by an activity or a sink. */
class Marks {
  private readonly at = new Map<string, number>();
  private readonly waiting = new Map<string, ((at: number) => void)[]>();
  mark(id: string): void {
    if (this.at.has(id)) return;
    const now = performance.now();
    this.at.set(id, now);
    for (const resolve of this.waiting.get(id) ?? []) resolve(now);
    this.waiting.delete(id);
  }
  /** Resolves with the time `id` was marked. */
  wait(id: string): Promise<number> {
    const at = this.at.get(id);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => this.waiting.set(id, [...(this.waiting.get(id) ?? []), resolve]));
  }
}

const calls = { loadCatalog: 0, recordDecisions: 0, deliverTouch: 0, handoff: 0 };
/** First recordDecisions of a lead: the last activity of its creation (routing into a sequence). */
const leadCreated = new Marks();
const noopStarted = new Marks();
const catalog = defaultCatalog({ holdoutPercent: 0 });
const catalogVersion = catalogFingerprint(catalog);

const leadActivities: LeadActivities & HandoffActivities = {
  loadCatalog: async () => {
    calls.loadCatalog++;
    return { ...catalog, version: catalogVersion };
  },
  catalogVersion: async () => catalogVersion,
  recordDecisions: async ({ leadId }) => {
    calls.recordDecisions++;
    leadCreated.mark(leadWorkflowId(leadId));
  },
  assignRep: async () => {
    calls.handoff++;
    return {};
  },
  openHandoffTask: async () => void calls.handoff++,
  notifyRep: async () => void calls.handoff++,
  reassignHandoffTask: async () => void calls.handoff++,
  moveHandoffTask: async () => void calls.handoff++,
  closeHandoffTask: async () => void calls.handoff++,
};
const deliveryActivities: DeliveryActivities = {
  deliverTouch: async () => {
    calls.deliverTouch++;
    return { status: 'sent' };
  },
};
const noopSinks: InjectedSinks<NoopSinks> = {
  bench: { started: { fn: (info) => noopStarted.mark(info.workflowId), callDuringReplay: false } },
};

// --- workers and the server, stopped in every case ---------------------------------------------------

interface Running {
  worker: Worker;
  taskQueue: string;
  done: Promise<void>;
  stopping: boolean;
}
const running: Running[] = [];
let workerFailure: ((err: Error) => void) | undefined;
/** Rejects as soon as a worker stops on its own: waiting on its workflows would be in vain. */
const workerFailed = new Promise<never>((_, reject) => {
  workerFailure = reject;
});
workerFailed.catch(() => undefined);

async function startWorker(options: Parameters<typeof Worker.create>[0]): Promise<Running> {
  const worker = await Worker.create(options);
  const entry: Running = { worker, taskQueue: options.taskQueue, done: Promise.resolve(), stopping: false };
  entry.done = worker.run().then(
    () => {
      if (!entry.stopping) workerFailure?.(new Error(`the worker on ${entry.taskQueue} stopped by itself`));
    },
    (err: unknown) => {
      log(`the worker on ${entry.taskQueue} failed: ${String(err)}`);
      workerFailure?.(new Error(`the worker on ${entry.taskQueue} failed: ${String(err)}`));
    },
  );
  running.push(entry);
  return entry;
}

async function stopWorker(entry: Running): Promise<void> {
  entry.stopping = true;
  if (entry.worker.getState() === 'RUNNING') entry.worker.shutdown();
  await Promise.race([entry.done, sleep(30_000)]);
  const index = running.indexOf(entry);
  if (index >= 0) running.splice(index, 1);
}

let server: TemporalUnderTest | undefined;
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const entry of [...running].reverse()) await stopWorker(entry).catch((err) => log(`stopping a worker: ${String(err)}`));
    if (server) {
      log(`stopping the Temporal ${server.kind}`);
      await server.stop().catch((err) => log(`stopping the Temporal ${server?.kind}: ${String(err)}`));
    }
  })();
  return cleaning;
}

/** `promise`, unless a worker fails or `timeoutMs` passes first. */
function guarded<T>(promise: Promise<T>, what: string, timeoutMs = SETTLE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done in ${timeoutMs / 1000} s`)), timeoutMs);
  });
  return Promise.race([promise, workerFailed, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `fn` in `concurrency` lanes over indexes 0..count-1, taking no new index after `deadline`. */
async function lanes(count: number, concurrency: number, deadline: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < count && performance.now() < deadline) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return next;
}

// --- the two kinds of workflow -------------------------------------------------------------------------

/** A lead's first-party profile: enough to route it into a sequence. */
function leadInput(id: string): Parameters<typeof leadWorkflow>[0] {
  return { lead: arrivalOf({ id, email: `${id}@northwind.example`, title: 'Head of Operations' }) };
}

function docsView(leadId: string, i: number): LeadEvent {
  return {
    eventId: `evt-${leadId}-${i}`,
    leadId,
    type: 'page_view',
    occurredAt: new Date().toISOString(),
    properties: { url: `https://relay.example/docs/${i % 40}`, category: 'docs' },
  };
}

interface Kind {
  name: 'lead' | 'noop';
  workflowId(i: number): string;
  start(client: Client, i: number): Promise<void>;
  started: Marks;
  signal(client: Client, workflowId: string, i: number): Promise<void>;
  /** Events folded in so far, through the `state` query. */
  folded(client: Client, workflowId: string): Promise<number>;
}

function leadKind(prefix: string, taskQueue = LEAD_TASK_QUEUE): Kind {
  const leadId = (i: number) => `${prefix}-${i}`;
  return {
    name: 'lead',
    workflowId: (i) => leadWorkflowId(leadId(i)),
    start: async (client, i) => {
      await client.workflow.start<typeof leadWorkflow>('leadWorkflow', { taskQueue, workflowId: leadWorkflowId(leadId(i)), args: [leadInput(leadId(i))] });
    },
    started: leadCreated,
    signal: (client, workflowId, i) => client.workflow.getHandle(workflowId).signal(eventSignal, docsView(workflowId.slice('lead-'.length), i)),
    folded: async (client, workflowId) => (await client.workflow.getHandle(workflowId).query(stateQuery)).counters.events ?? 0,
  };
}

function noopKind(prefix: string): Kind {
  const id = (i: number) => `noop-${prefix}-${i}`;
  return {
    name: 'noop',
    workflowId: id,
    start: async (client, i) => {
      await client.workflow.start('noopWorkflow', { taskQueue: NOOP_TASK_QUEUE, workflowId: id(i), args: [leadInput(`${prefix}-${i}`)] });
    },
    started: noopStarted,
    signal: (client, workflowId, i) => client.workflow.getHandle(workflowId).signal(noopEventSignal, docsView(workflowId, i)),
    folded: async (client, workflowId) => (await client.workflow.getHandle(workflowId).query(noopStateQuery)).events,
  };
}

/**
 * Starts up to `max` workflows, `CONCURRENCY` in flight: each lane starts one and waits until it has
 * processed its start before starting the next, so the figure is a sustained rate, not a backlog.
 */
async function startClosedLoop(client: Client, kind: Kind, max: number, budgetSeconds: number, from = 0) {
  const ids: string[] = [];
  let callMs = 0;
  const cpuBefore = cpuSeconds();
  const began = performance.now();
  let last = began;
  await lanes(max, CONCURRENCY, deadlineOf(budgetSeconds, began), async (k) => {
    const i = from + k;
    const id = kind.workflowId(i);
    const called = performance.now();
    await kind.start(client, i);
    callMs += performance.now() - called;
    ids.push(id);
    last = Math.max(last, await guarded(kind.started.wait(id), `${kind.name} ${id} processing its start`));
  });
  return { ids, seconds: seconds(began, last), callMs, cpu: cpuSince(cpuBefore) };
}
type StartRun = Awaited<ReturnType<typeof startClosedLoop>>;
type CpuMs = { worker: number | null; server: number | null };

/** `a`'s CPU over `b`'s, each the worker's and the server's together; null when either is unknown. */
function cpuRatio(a: CpuMs, b: CpuMs): number | null {
  const sum = ({ worker, server }: CpuMs) => (worker === null || server === null ? null : worker + server);
  const [x, y] = [sum(a), sum(b)];
  return x === null || !y ? null : round(x / y, 3);
}

/** The figures of one kind's closed-loop runs taken together: all it started over all the time it took. */
function startFigures(runs: StartRun[]) {
  const started = runs.reduce((n, run) => n + run.ids.length, 0);
  const total = (value: (run: StartRun) => number | null) => runs.reduce<number | null>((sum, run) => (sum === null || value(run) === null ? null : sum + value(run)!), 0);
  const perStart = (value: number | null, scale = 1) => (value === null || !started ? null : round((value * scale) / started, 2));
  const secondsTaken = total((run) => run.seconds)!;
  return {
    started,
    perSecond: round(started / Math.max(secondsTaken, 0.001), 1),
    seconds: round(secondsTaken, 2),
    meanStartCallMs: perStart(total((run) => run.callMs)),
    /** CPU per start of this process (workers, client) and of the dev server: what the rate costs, without its noise. */
    cpuMsPerStart: { worker: perStart(total((run) => run.cpu.worker), 1000), server: perStart(total((run) => run.cpu.server), 1000) } as CpuMs,
  };
}

/**
 * Queries every workflow until its count reaches what it is owed; resolves with the time the last one
 * was seen complete. The same sweep (and so the same query cost) is used for leads and no-ops.
 */
async function sweepUntilFolded(client: Client, kind: Kind, owed: Map<string, number>): Promise<number> {
  let pending = [...owed.keys()];
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  let latest = 0;
  for (;;) {
    const still: string[] = [];
    const seen = new Map<string, number>();
    await guarded(
      lanes(pending.length, CONCURRENCY, Infinity, async (i) => {
        const id = pending[i]!;
        const n = await kind.folded(client, id);
        seen.set(id, n);
        if (n >= owed.get(id)!) latest = Math.max(latest, performance.now());
        else still.push(id);
      }),
      `${kind.name} state queries`,
    );
    if (!still.length) return latest;
    if (performance.now() > deadline) {
      const example = still[0]!;
      throw new Error(`${kind.name} events: ${still.length} workflows never folded all their signals (e.g. ${example}: ${seen.get(example)} of ${owed.get(example)})`);
    }
    pending = still;
    await sleep(50);
  }
}

/** Signals up to `events` events round-robin over `ids`, `CONCURRENCY` calls in flight, and waits until all are folded in. */
async function signalAndFold(client: Client, kind: Kind, ids: string[], events: number, budgetSeconds: number) {
  const owed = new Map<string, number>();
  const cpuBefore = cpuSeconds();
  const began = performance.now();
  let sent = 0;
  await lanes(events, CONCURRENCY, deadlineOf(budgetSeconds, began), async (i) => {
    const id = ids[i % ids.length]!;
    await kind.signal(client, id, i);
    owed.set(id, (owed.get(id) ?? 0) + 1);
    sent++;
  });
  const callsDone = performance.now();
  const folded = await sweepUntilFolded(client, kind, owed);
  const end = Math.max(folded, callsDone);
  const cpu = cpuSince(cpuBefore);
  const perEvent = (value: number | null) => (value === null || !sent ? null : round((value * 1000) / sent, 2));
  return {
    events: sent,
    foldedPerSecond: round(sent / seconds(began, end), 1),
    signalCallsPerSecond: round(sent / seconds(began, callsDone), 1),
    seconds: round(seconds(began, end), 2),
    /** CPU per event folded, of this process (the workers, and the client's signals and state queries) and of the server. */
    cpuMsPerEvent: { worker: perEvent(cpu.worker), server: perEvent(cpu.server) } as CpuMs,
  };
}

// --- replay ------------------------------------------------------------------------------------------

/**
 * Replays `histories` through `nurture replay`'s replayHistories in `jobs` processes, taking no new
 * history after `budgetSeconds` (0: none). The rate runs from the first outcome to the last, so that
 * it is the steady rate, without the jobs' start (reported as `firstOutcomeSeconds`).
 */
async function replayRate(bundle: WorkflowBundle, histories: NamedHistory[], jobs: number, budgetSeconds: number) {
  const began = performance.now();
  const deadline = deadlineOf(budgetSeconds, began);
  async function* feed() {
    for (const history of histories) {
      if (performance.now() > deadline) return;
      yield history;
    }
  }
  let replayed = 0;
  let first = 0;
  let last = 0;
  const failures: string[] = [];
  for await (const outcome of replayHistories(bundle, feed(), { jobs })) {
    last = performance.now();
    if (!replayed++) first = last;
    if (!outcome.ok) failures.push(formatOutcome(outcome));
  }
  return {
    jobs,
    histories: replayed,
    historiesPerSecond: replayed > 1 ? round((replayed - 1) / seconds(first, last), 1) : 0,
    firstOutcomeSeconds: round(seconds(began, first), 2),
    failures: failures.length,
    ...(failures.length ? { firstFailure: failures[0] } : {}),
  };
}

// --- memory ------------------------------------------------------------------------------------------

async function memorySample(leads: number, worker: Worker) {
  // Let in-flight activations finish, then collect garbage twice (weak refs, finalizers) before reading.
  // gc() reaches this thread's heap only; the workflow threads' heaps show in rss.
  for (let i = 0; i < 100 && worker.getStatus().numInFlightWorkflowActivations > 0; i++) await sleep(20);
  gc();
  await sleep(250);
  gc();
  const m = process.memoryUsage();
  return {
    leads,
    rssMB: round(m.rss / MB, 1),
    heapUsedMB: round(m.heapUsed / MB, 1),
    externalMB: round(m.external / MB, 1),
    cachedWorkflows: worker.getStatus().numCachedWorkflows,
  };
}

// --- the run -------------------------------------------------------------------------------------------

async function main() {
  Runtime.install({
    logger: new DefaultLogger('WARN', logEntry),
    // The native side's warnings (slow or timed-out workflow tasks) go through the logger above, to be counted.
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
    // SIGINT/SIGTERM are handled below: workers, then the server, stop in order.
    shutdownSignals: [],
  });
  const wallBegan = performance.now();
  log(`bundling workflows`);
  const [leadBundle, noopBundle] = await Promise.all([
    bundleLeadWorkflows(
      TZDB
        ? {
            webpackConfigHook: (config) => ({
              ...config,
              resolve: {
                ...config.resolve,
                alias: { ...(config.resolve?.alias as Record<string, string | false>), '@js-joda/timezone$': require.resolve(`@js-joda/timezone/dist/js-joda-timezone-${TZDB}.js`) },
              },
            }),
          }
        : {},
    ),
    bundleWorkflowCode({ workflowsPath: require.resolve('./noopWorkflow'), logger: silentLogger }),
  ]);
  log(`starting the Temporal ${BENCH_TEMPORAL}`);
  server = await startTemporalUnderTest();
  const { client, nativeConnection: connection } = server;
  log(`Temporal ${server.kind} on ${server.address}`);

  // Each channel's sends run on a queue of their own, as in production; they stay up for every phase.
  for (const channel of CHANNELS) await startWorker({ connection, taskQueue: sendTaskQueue(channel), activities: deliveryActivities });
  const leadWorker = await startWorker({ connection, taskQueue: LEAD_TASK_QUEUE, workflowBundle: leadBundle, activities: leadActivities });
  const noopWorker = await startWorker({ connection, taskQueue: NOOP_TASK_QUEUE, workflowBundle: noopBundle, sinks: noopSinks });

  // Warm-up (JIT, connections, the workflow threads' contexts), excluded from the figures.
  if (WARMUP) {
    log(`warm-up: ${WARMUP} of each`);
    for (const kind of [leadKind('warm'), noopKind('warm')]) {
      const { ids } = await startClosedLoop(client, kind, WARMUP, 0);
      await signalAndFold(client, kind, ids, WARMUP * 2, 0);
    }
  }
  const warningsAt = () => ({ ...taskWarnings });
  const warningsSince = (before: typeof taskWarnings) => ({
    slowOver5s: taskWarnings.slowOver5s - before.slowOver5s,
    timedOutBeforeCompletion: taskWarnings.timedOutBeforeCompletion - before.timedOutBeforeCompletion,
  });

  // 1. Starts, in rounds that alternate which kind goes first: the server's rate drifts as its tables
  // grow, and a kind measured in one stretch of it would take that drift for its own.
  const lead = leadKind('b');
  const noop = noopKind('b');
  const starts = { lead: [] as StartRun[], noop: [] as StartRun[] };
  const startedSoFar = (kind: Kind) => starts[kind.name].reduce((n, run) => n + run.ids.length, 0);
  let touchesAtCreation = 0;
  const warningsBeforeStarts = warningsAt();
  log(`1. starts: up to ${LEADS} no-ops and ${LEADS} leads in ${START_ROUNDS} alternating rounds, ${CONCURRENCY} in flight, ${BUDGET.starts || '∞'} s each kind`);
  for (let r = 0; r < START_ROUNDS; r++) {
    for (const kind of r % 2 === 0 ? [noop, lead] : [lead, noop]) {
      const count = Math.ceil((LEADS * (r + 1)) / START_ROUNDS) - startedSoFar(kind);
      const touchesBefore = calls.deliverTouch;
      const run = await startClosedLoop(client, kind, count, BUDGET.starts / START_ROUNDS, startedSoFar(kind));
      if (kind.name === 'lead') touchesAtCreation += calls.deliverTouch - touchesBefore;
      starts[kind.name].push(run);
      log(`   round ${r + 1}, ${kind.name}: ${run.ids.length} at ${round(run.ids.length / run.seconds, 1)}/s`);
    }
  }
  // Both kinds' tasks, in this phase: the SDK's warnings do not say which workflow type they are about.
  const startWarnings = warningsSince(warningsBeforeStarts);
  const leadStarts = { ids: starts.lead.flatMap((run) => run.ids), ...startFigures(starts.lead) };
  const noopStarts = { ids: starts.noop.flatMap((run) => run.ids), ...startFigures(starts.noop) };
  log(`   no-op: ${noopStarts.started} at ${noopStarts.perSecond}/s; lead: ${leadStarts.started} at ${leadStarts.perSecond}/s`);

  // 2. Events, to as many workflows of each kind.
  const targets = Math.min(noopStarts.ids.length, leadStarts.ids.length);
  log(`2. events: up to ${EVENTS} to ${targets} no-ops, then to ${targets} leads, ${CONCURRENCY} in flight`);
  const noopEvents = await signalAndFold(client, noop, noopStarts.ids.slice(0, targets), EVENTS, BUDGET.events);
  log(`   no-op: ${noopEvents.events} folded at ${noopEvents.foldedPerSecond}/s`);
  const handoffsBefore = calls.handoff;
  let warnings = warningsAt();
  const leadEvents = await signalAndFold(client, lead, leadStarts.ids.slice(0, targets), EVENTS, BUDGET.events);
  const leadEventWarnings = warningsSince(warnings);
  log(`   lead:  ${leadEvents.events} folded at ${leadEvents.foldedPerSecond}/s`);
  const handoffCallsDuringEvents = calls.handoff - handoffsBefore;
  const cachedAfterEvents = { lead: leadWorker.worker.getStatus().numCachedWorkflows, noop: noopWorker.worker.getStatus().numCachedWorkflows };

  // 3. Replay, as `nurture replay` does it: in this process, then in one process per core.
  const replayIds = leadStarts.ids.slice(0, REPLAY);
  log(`3. replay: fetching ${replayIds.length} lead histories, replaying for up to ${BUDGET.replay || '∞'} s each in 1 and ${REPLAY_JOBS} processes`);
  const fetchBegan = performance.now();
  const histories: NamedHistory[] = new Array(replayIds.length);
  await lanes(replayIds.length, CONCURRENCY, Infinity, async (i) => {
    const workflowId = replayIds[i]!;
    histories[i] = { label: workflowId, workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() };
  });
  const fetchSeconds = seconds(fetchBegan);
  await replayRate(leadBundle, histories.slice(0, Math.min(5, histories.length)), 1, 0); // warm-up: the replay worker's context
  const replayHere = await replayRate(leadBundle, histories, 1, BUDGET.replay);
  log(`   in this process: ${replayHere.histories} at ${replayHere.historiesPerSecond}/s, ${replayHere.failures} failures`);
  const replayInJobs = await replayRate(leadBundle, histories, REPLAY_JOBS, BUDGET.replay);
  log(`   in ${REPLAY_JOBS} processes: ${replayInJobs.histories} at ${replayInJobs.historiesPerSecond}/s, ${replayInJobs.failures} failures`);
  const historyEvents = histories.map((h) => h.history.events?.length ?? 0);

  // 4. Memory with idle leads. The first phases' workflow workers go, so only the idle worker's cache counts.
  await stopWorker(leadWorker);
  await stopWorker(noopWorker);
  const idleWorker = await startWorker({ connection, taskQueue: IDLE_TASK_QUEUE, workflowBundle: leadBundle, activities: leadActivities, maxCachedWorkflows: CACHE, debugMode: IDLE_MAIN_THREAD });
  log(`4. idle memory: up to ${IDLE_LEADS} leads, worker cache ${CACHE}, ${CONCURRENCY} in flight, ${BUDGET.idle || '∞'} s`);
  const idle = leadKind('idle', IDLE_TASK_QUEUE);
  const samples = [await memorySample(0, idleWorker.worker)];
  const step = Math.max(1, Math.ceil(IDLE_LEADS / 20));
  const quarters = [1, 2, 3, 4].map((q) => Math.round((IDLE_LEADS * q) / 4));
  const idleDeadline = deadlineOf(BUDGET.idle);
  let idleStarted = 0;
  let idleStartSeconds = 0;
  let idleError: string | undefined;
  warnings = warningsAt();
  try {
    while (idleStarted < IDLE_LEADS && performance.now() < idleDeadline) {
      const budgetLeft = Number.isFinite(idleDeadline) ? Math.max(0.001, (idleDeadline - performance.now()) / 1000) : 0;
      // Up to the next sample point: a multiple of `step` or a quarter of the idle leads, whichever comes first.
      const nextPoint = Math.min((Math.floor(idleStarted / step) + 1) * step, ...quarters.filter((q) => q > idleStarted));
      const chunk = await startClosedLoop(client, idle, nextPoint - idleStarted, budgetLeft, idleStarted);
      if (!chunk.ids.length) break;
      idleStarted += chunk.ids.length;
      idleStartSeconds += chunk.seconds;
      samples.push(await memorySample(idleStarted, idleWorker.worker));
      log(`   ${JSON.stringify(samples[samples.length - 1])}`);
    }
  } catch (err) {
    // A worker that runs out of memory is a result of this phase, not a failure of the bench.
    idleError = err instanceof Error ? err.message : String(err);
    log(`   idle phase stopped: ${idleError}`);
  }
  const idleWarnings = warningsSince(warnings);
  const complete = IDLE_LEADS > 0 && idleStarted >= IDLE_LEADS && !idleError;
  const atQuarters = samples.filter((s) => quarters.includes(s.leads));
  const half = samples.find((s) => s.leads === quarters[1]);
  const last = samples[samples.length - 1]!;
  const growth = (a: number, b: number) => round((b - a) / a, 3);
  const cacheBounded = samples.every((s) => s.cachedWorkflows <= CACHE);
  const rssGrowth = complete && half ? growth(half.rssMB, last.rssMB) : null;
  const heapGrowth = complete && half ? growth(half.heapUsedMB, last.heapUsedMB) : null;
  const memoryFlat = rssGrowth !== null && heapGrowth !== null && rssGrowth < FLAT_GROWTH && heapGrowth < FLAT_GROWTH && cacheBounded;
  // What one cached lead costs the process: rss over the empty worker, per workflow in the cache.
  const fullest = samples.reduce((a, b) => (b.cachedWorkflows > a.cachedWorkflows ? b : a), samples[0]!);
  const rssPerCachedLeadMB = fullest.cachedWorkflows ? round((fullest.rssMB - samples[0]!.rssMB) / fullest.cachedWorkflows, 2) : null;

  const leadStartRatio = round(leadStarts.perSecond / noopStarts.perSecond, 3);
  const leadEventRatio = round(leadEvents.foldedPerSecond / noopEvents.foldedPerSecond, 3);
  const historiesPerSecond = Math.max(replayHere.historiesPerSecond, replayInJobs.historiesPerSecond);
  const replayFailures = replayHere.failures + replayInJobs.failures;
  return {
    bench: 'workflows',
    temporal: BENCH_TEMPORAL,
    config: {
      leads: LEADS,
      events: EVENTS,
      replay: REPLAY,
      replayJobs: REPLAY_JOBS,
      idleLeads: IDLE_LEADS,
      concurrency: CONCURRENCY,
      idleWorkerMaxCachedWorkflows: CACHE,
      idleWorkflowsOnMainThread: IDLE_MAIN_THREAD,
      tzdb: TZDB ?? 'as imported by core/model/timezone.ts (full)',
      warmup: WARMUP,
      budgetSeconds: BUDGET,
      cpus: os.cpus().length,
    },
    starts: {
      rounds: START_ROUNDS,
      lead: startFigures(starts.lead),
      noop: startFigures(starts.noop),
      ratio: leadStartRatio,
      /** The no-op's CPU per start (this process and the server) over the lead's: the ratio's bound once the cores are busy. */
      cpuRatio: cpuRatio(noopStarts.cpuMsPerStart, leadStarts.cpuMsPerStart),
      touchesSentAtCreation: touchesAtCreation,
      workflowTaskWarnings: startWarnings,
    },
    events: {
      workflows: targets,
      lead: leadEvents,
      noop: noopEvents,
      ratio: leadEventRatio,
      handoffActivityCalls: handoffCallsDuringEvents,
      cachedWorkflows: cachedAfterEvents,
      leadWorkflowTaskWarnings: leadEventWarnings,
    },
    replay: {
      inThisProcess: replayHere,
      [`in${REPLAY_JOBS}Processes`]: replayInJobs,
      avgHistoryEvents: round(historyEvents.reduce((a, b) => a + b, 0) / Math.max(historyEvents.length, 1), 1),
      fetchedPerSecond: round(histories.length / fetchSeconds, 1),
    },
    idleMemory: {
      started: idleStarted,
      complete,
      ...(idleError ? { error: idleError } : {}),
      startedPerSecond: round(idleStarted / Math.max(idleStartSeconds, 0.001), 1),
      samples,
      atQuarters,
      rssPerCachedLeadMB,
      rssGrowthHalfToFull: rssGrowth,
      heapUsedGrowthHalfToFull: heapGrowth,
      cacheBounded,
      flat: memoryFlat,
      workflowTaskWarnings: idleWarnings,
    },
    activityCalls: calls,
    workflowTaskWarnings: taskWarnings,
    wallSeconds: round(seconds(wallBegan), 1),
    targets: {
      leadStartRatio: 0.8,
      leadEventRatio: 0.8,
      historiesPerSecond: 200,
      idleMemoryFlat: `all ${IDLE_LEADS} idle leads started; rss and heapUsed grow < ${FLAT_GROWTH * 100}% from ${quarters[1]} to ${IDLE_LEADS}; cache ≤ ${CACHE}`,
    },
    met: {
      leadStartRatio: leadStartRatio >= 0.8,
      leadEventRatio: leadEventRatio >= 0.8,
      historiesPerSecond: historiesPerSecond >= 200 && replayFailures === 0,
      idleMemoryFlat: memoryFlat,
    },
  };
}

if (!process.send) {
  process.stderr.write('bench/workflowsRun.ts is the measuring process of bench/workflows.ts; run `npx tsx bench/workflows.ts`.\n');
  process.exit(2);
}
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
}
// The parent is gone: nobody will read the result, so stop.
process.on('disconnect', () => {
  if (!interrupted) void cleanUp().finally(() => process.exit(1));
});

main()
  .then(async (result) => {
    await cleanUp();
    process.send!(result, () => process.exit(0));
  })
  .catch(async (err) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanUp();
    process.exit(1);
  });
