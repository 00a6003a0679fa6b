// `nurture replay`: replays workflow histories (files, folders, or runs on the server) against the
// current workflow code and reports per history `ok`, or `FAIL` with the event the code disagreed at.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { fetchHistory, queryHistories, readHistoryPaths, temporalTarget, withClient, type NamedHistory } from './history';
import { InputError } from './inputs';
import { bundleLeadWorkflows, WORKFLOWS_PATH } from '../workers/bundle';

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

/** Replays each history in turn against `bundle`, one outcome per history, in order. */
export async function* replayHistories(
  bundle: WorkflowBundle,
  histories: Iterable<NamedHistory> | AsyncIterable<NamedHistory>,
): AsyncGenerator<ReplayOutcome> {
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
    const label = named?.label ?? result.workflowId;
    if (!result.error) {
      yield { label, ok: true };
      continue;
    }
    const message = result.error.message;
    yield {
      label,
      ok: false,
      kind: result.error instanceof DeterminismViolationError ? 'nondeterminism' : 'failure',
      eventId: eventIdOf(message) ?? (named && patchMarkerEventId(named, message)),
      message,
    };
  }
}

/** The event id in an SDK non-determinism message, e.g. `... HistoryEvent(id: 5, ...)` or `event 5`. */
export function eventIdOf(message: string): number | undefined {
  const match = /\bid: (\d+)|\bevent(?: id)?[ :#]+(\d+)/i.exec(message);
  const found = match?.[1] ?? match?.[2];
  return found === undefined ? undefined : Number(found);
}

/**
 * The marker event of a patch the code no longer asks about: the core names the change
 * (`patch marker encountered for change <id>`) but not the event, so it is looked up.
 */
function patchMarkerEventId({ history }: NamedHistory, message: string): number | undefined {
  const change = /patch marker encountered for change (\S+?),/.exec(message)?.[1];
  if (change === undefined) return undefined;
  const marker = history.events?.find((event) => {
    const patch = event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
    return patch && JSON.parse(Buffer.from(patch).toString('utf8')).id === change;
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

/** A workflows module given on the command line, with or without its extension. */
function resolveModule(given: string): string {
  try {
    return require.resolve(path.resolve(given));
  } catch {
    throw new InputError(`--workflows: ${given} does not exist`);
  }
}

// --- the command ------------------------------------------------------------------------------

export interface ReplayCommandOptions {
  workflowId?: string[];
  query?: string;
  /** The workflows module to replay against (default: the production workflows). */
  workflows?: string;
}

export interface ReplaySummary {
  ok: number;
  failed: number;
}

/** Runs `nurture replay`, writing one line per history to `write`; input problems are found before any replay. */
export async function runReplay(
  paths: string[],
  options: ReplayCommandOptions,
  env: Record<string, string | undefined> = process.env,
  write: (line: string) => void = (line) => console.log(line),
): Promise<ReplaySummary> {
  const workflowIds = options.workflowId ?? [];
  if (!paths.length && !workflowIds.length && options.query === undefined) {
    throw new InputError('replay: give history files or folders, --workflow-id <id> or --query <query>');
  }
  for (const id of workflowIds) if (!id.trim()) throw new InputError('--workflow-id: the workflow id is empty');
  if (options.query !== undefined && !options.query.trim()) throw new InputError('--query: the query is empty');
  const workflowsPath = options.workflows === undefined ? WORKFLOWS_PATH : resolveModule(options.workflows);
  const files = readHistoryPaths(paths);
  const target = workflowIds.length || options.query !== undefined ? temporalTarget(env) : undefined;

  // The replay worker's state changes, and the core's log of each failure it reports, are noise
  // between the report lines.
  if (!Runtime._instance) {
    Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  }
  const bundle = await bundleWorkflows(workflowsPath);
  const summary: ReplaySummary = { ok: 0, failed: 0 };
  const replayAll = async (client?: Client) => {
    async function* sources(): AsyncGenerator<NamedHistory> {
      yield* files;
      for (const workflowId of workflowIds) yield { label: workflowId, workflowId, history: await fetchHistory(client!, workflowId) };
      if (options.query !== undefined) yield* queryHistories(client!, options.query);
    }
    for await (const outcome of replayHistories(bundle, sources())) {
      write(formatOutcome(outcome));
      summary[outcome.ok ? 'ok' : 'failed']++;
    }
  };
  if (target) await withClient(target, replayAll);
  else await replayAll();
  return summary;
}
