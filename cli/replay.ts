// `nurture replay`: replays workflow histories (files, folders, or runs on the server) against the
// current workflow code and reports per history `ok`, or `FAIL` with the event the code disagreed at.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { WORKFLOWS_PATH } from '../workers/bundle';
import type { NamedHistory } from '../workers/history';
import { bundleWorkflows, formatOutcome, MAX_REPLAY_JOBS, replayHistories } from '../workers/replay';
import { fetchHistory, queryHistories, readHistoryPaths, temporalTarget, withClient } from './history';
import { InputError } from './inputs';

/** A workflows module given on the command line, with or without its extension. */
function resolveModule(given: string): string {
  try {
    return require.resolve(path.resolve(given));
  } catch {
    throw new InputError(`--workflows: ${given} does not exist`);
  }
}

export interface ReplayCommandOptions {
  workflowId?: string[];
  query?: string;
  /** The workflows module to replay against (default: the production workflows). */
  workflows?: string;
  /** `--jobs`, as given. */
  jobs?: string;
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
  const jobs = options.jobs === undefined ? 1 : Number(options.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_REPLAY_JOBS) throw new InputError(`--jobs: must be a whole number from 1 to ${MAX_REPLAY_JOBS}, got '${options.jobs}'`);
  const workflowsPath = options.workflows === undefined ? WORKFLOWS_PATH : resolveModule(options.workflows);
  const files = readHistoryPaths(paths);
  const target = workflowIds.length || options.query !== undefined ? temporalTarget(env) : undefined;

  const bundle = await bundleWorkflows(workflowsPath);
  const summary: ReplaySummary = { ok: 0, failed: 0 };
  const replayAll = async (client?: Client) => {
    async function* sources(): AsyncGenerator<NamedHistory> {
      yield* files;
      for (const workflowId of workflowIds) yield { label: workflowId, workflowId, history: await fetchHistory(client!, workflowId) };
      if (options.query !== undefined) yield* queryHistories(client!, options.query);
    }
    for await (const outcome of replayHistories(bundle, sources(), { jobs })) {
      write(formatOutcome(outcome));
      summary[outcome.ok ? 'ok' : 'failed']++;
    }
  };
  if (target) await withClient(target, replayAll);
  else await replayAll();
  return summary;
}
