// `nurture replay`: replays workflow histories (files, folders, or runs on the server) against the
// current workflow code and reports per history `ok`, or `FAIL` with the event the code disagreed at.
import { fork } from 'node:child_process';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { NamedHistory } from './history';
import { bundleLeadWorkflows, WORKFLOWS_PATH } from './bundle';

export interface ReplayOutcome {
  label: string;
  ok: boolean;
  /** `nondeterminism`: the code no longer produces the recorded commands; `failure`: it threw while replaying. */
  kind?: 'nondeterminism' | 'failure';
  /** The history event the code disagreed with, when the SDK names one. */
  eventId?: number;
  message?: string;
}

/** Bundles a workflows module once, for any number of replays, the way the worker bundles it. */
export function bundleWorkflows(workflowsPath: string = WORKFLOWS_PATH): Promise<WorkflowBundle> {
  return bundleLeadWorkflows({ workflowsPath });
}

export interface ReplayOptions {
  /**
   * Replay in this many processes at once (default 1: in this one). Each extra process costs a second
   * or so to start, which pays off over hundreds of histories, not over a handful.
   */
  jobs?: number;
}

/** The most `--jobs` takes: more processes than this only contend for the same cores. */
export const MAX_REPLAY_JOBS = 64;

/** Replays each history against `bundle`, one outcome per history, in the order they come. */
export function replayHistories(
  bundle: WorkflowBundle,
  histories: Iterable<NamedHistory> | AsyncIterable<NamedHistory>,
  { jobs = 1 }: ReplayOptions = {},
): AsyncGenerator<ReplayOutcome> {
  warnOnceIfUnpatched();
  return jobs > 1 ? replayInJobs(bundle, histories, jobs) : replayHere(bundle, histories);
}

/**
 * Why replays run slower, when they do: `npm ci` applies a patch to @temporalio/worker (patches/)
 * that leaves the stack-trace hook and the per-call watchdog out of replays; on an SDK version it no
 * longer fits, the install goes on without it and replays run unpatched. Undefined when it is applied.
 */
export function unpatchedReplayWarning(vmShared: object = require('@temporalio/worker/lib/workflow/vm-shared')): string | undefined {
  if (typeof (vmShared as { workflowRunOptions?: unknown }).workflowRunOptions === 'function') return undefined;
  return 'the patch to @temporalio/worker in patches/ is not applied (another SDK version?): replays run without it, about 2.4x slower';
}

let warned = false;
function warnOnceIfUnpatched(): void {
  const warning = warned ? undefined : unpatchedReplayWarning();
  warned = true;
  if (warning) process.emitWarning(warning, 'ReplayWarning');
}

/** Replays in this process, one history after the other. */
async function* replayHere(bundle: WorkflowBundle, histories: Iterable<NamedHistory> | AsyncIterable<NamedHistory>): AsyncGenerator<ReplayOutcome> {
  installReplayRuntime();
  // The SDK asks for the next history only after reporting the previous one, so labels pair up in order.
  const pending: NamedHistory[] = [];
  async function* feed() {
    for await (const named of histories) {
      pending.push(named);
      yield { workflowId: named.workflowId, history: named.history };
    }
  }
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, feed())) {
    const named = pending.shift();
    yield outcomeOf(named ?? { label: result.workflowId, workflowId: result.workflowId }, result.error);
  }
}

/** What replaying `named` came to, given the error the SDK reported, if any. */
function outcomeOf(named: Pick<NamedHistory, 'label' | 'workflowId'> & { history?: History }, error: Error | undefined): ReplayOutcome {
  if (!error) return { label: named.label, ok: true };
  const message = error.message;
  return {
    label: named.label,
    ok: false,
    kind: error instanceof DeterminismViolationError ? 'nondeterminism' : 'failure',
    eventId: eventIdOf(message) ?? (named.history && markerEventId(named.history, message)),
    message,
  };
}

// --- replay jobs: `--jobs <n>` ----------------------------------------------------------------

/** What the parent sends a replay job (workers/replayJob.ts): the bundle first, then histories. */
export type ToReplayJob = { bundle: WorkflowBundle } | { index: number; workflowId: string; history: Uint8Array };
/** What a replay job sends back, per history. */
export interface FromReplayJob {
  index: number;
  outcome: ReplayOutcome;
}

const REPLAY_JOB = require.resolve('./replayJob');
/** Histories handed to a job before it reports on the first: enough that it never waits on the parent. */
const AHEAD_PER_JOB = 2;

/**
 * Replays in `jobs` child processes, each sent a few histories ahead of its results, and reports
 * the outcomes in the order the histories came, as one process would.
 */
async function* replayInJobs(
  bundle: WorkflowBundle,
  histories: Iterable<NamedHistory> | AsyncIterable<NamedHistory>,
  jobs: number,
): AsyncGenerator<ReplayOutcome> {
  const source = (async function* () {
    yield* histories;
  })();
  const labels: string[] = [];
  const done = new Map<number, ReplayOutcome>();
  let exhausted = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const fail = (err: Error) => {
    failure ??= err;
    notify();
  };

  const children = Array.from({ length: jobs }, () => {
    const child = fork(REPLAY_JOB, [], { execArgv: ['--require', require.resolve('tsx/cjs')], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const job = { child, inFlight: 0, finished: false };
    child.on('message', (message: FromReplayJob) => {
      done.set(message.index, message.outcome);
      job.inFlight--;
      feed(job).catch(fail);
      notify();
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      job.finished = true;
      if (job.inFlight > 0) fail(new Error(`a replay job stopped (${signal ?? `exit code ${code}`}) with ${job.inFlight} histories unfinished`));
    });
    child.send({ bundle: { code: bundle.code } } satisfies ToReplayJob);
    return job;
  });

  /** Hands `job` histories until it has AHEAD_PER_JOB in flight or none are left. */
  async function feed(job: (typeof children)[number]): Promise<void> {
    while (!exhausted && !failure && job.inFlight < AHEAD_PER_JOB) {
      job.inFlight++;
      const next = await source.next();
      if (next.done) {
        job.inFlight--;
        exhausted = true;
        notify();
        return;
      }
      const { label, workflowId, history } = next.value;
      const index = labels.push(label) - 1;
      const encoded = proto.temporal.api.history.v1.History.encode(proto.temporal.api.history.v1.History.fromObject(history)).finish();
      job.child.send({ index, workflowId, history: encoded } satisfies ToReplayJob);
    }
  }

  try {
    for (const job of children) feed(job).catch(fail);
    for (let next = 0; ; ) {
      for (let outcome = done.get(next); outcome; outcome = done.get(next)) {
        done.delete(next);
        yield { ...outcome, label: labels[next]! };
        next++;
      }
      if (failure) throw failure;
      if (exhausted && next === labels.length) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    // Disconnecting ends a job's input: it finishes and exits. One still busy after an error is stopped.
    for (const { child, finished } of children) {
      if (finished) continue;
      if (child.connected) child.disconnect();
      if (failure) child.kill();
    }
    await source.return(undefined);
  }
}

/** The event id in an SDK non-determinism message, e.g. `... HistoryEvent(id: 5, ...)` or `event 5`. */
function eventIdOf(message: string): number | undefined {
  const match = /\bid: (\d+)|\bevent(?: id)?[ :#]+(\d+)/i.exec(message);
  const found = match?.[1] ?? match?.[2];
  return found === undefined ? undefined : Number(found);
}

/**
 * The marker event the core names without its id: a patch the code no longer asks about
 * (`patch marker encountered for change <id>`), or a local activity it no longer runs
 * (`Missing associated machine for LocalActivity(<seq>)`). Both are looked up by their marker data.
 */
function markerEventId(history: History, message: string): number | undefined {
  const change = /patch marker encountered for change (\S+?),/.exec(message)?.[1];
  const localActivity = /Missing associated machine for LocalActivity\((\d+)\)/.exec(message)?.[1];
  if (change === undefined && localActivity === undefined) return undefined;
  const marker = history.events?.find((event) => {
    const details = event.markerRecordedEventAttributes?.details;
    const patch = details?.['patch-data']?.payloads?.[0]?.data;
    if (change !== undefined) return patch !== undefined && patch !== null && JSON.parse(Buffer.from(patch).toString('utf8')).id === change;
    const data = event.markerRecordedEventAttributes?.markerName === 'core_local_activity' ? details?.data?.payloads?.[0]?.data : undefined;
    return data !== undefined && data !== null && JSON.parse(Buffer.from(data).toString('utf8')).seq === Number(localActivity);
  });
  return marker?.eventId == null ? undefined : Number(marker.eventId);
}

/** One report line: `ok <history>` or `FAIL <history>: <what, at which event>`. */
export function formatOutcome(outcome: ReplayOutcome): string {
  if (outcome.ok) return `ok ${outcome.label}`;
  const what = outcome.kind === 'nondeterminism' ? 'non-deterministic' : 'replay failed';
  const at = outcome.eventId === undefined ? '' : ` at event ${outcome.eventId}`;
  return `FAIL ${outcome.label}: ${what}${at}: ${detailOf(outcome.message ?? '')}`;
}

/**
 * The core's own explanation, e.g. `[TMPRL1100] Nondeterminism error: Timer machine does not handle
 * this event: HistoryEvent(id: 5, ActivityTaskScheduled)`, out of the SDK's wrapping, on one line.
 */
function detailOf(message: string): string {
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(message)?.[1];
  const details = inner ?? (message.includes('Details: ') ? message.slice(message.indexOf('Details: ') + 'Details: '.length) : message);
  return details.replace(/\\"/g, '"').replace(/\s+/g, ' ').trim();
}

/**
 * The SDK's runtime for the process that replays, unless one is installed already (only there: an
 * unused runtime keeps a process alive): the replay worker's state changes, and the core's log of
 * each failure it reports, are noise between the report lines.
 */
function installReplayRuntime(): void {
  if (!Runtime._instance) {
    Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  }
}
