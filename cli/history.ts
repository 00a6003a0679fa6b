// Workflow histories for the engineers' commands: history files and folders read for `nurture
// replay`, runs fetched from the server (one, or every run a visibility query lists), and `nurture
// history export`. What the user got wrong is an InputError naming it.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection, NamespaceNotFoundError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import { parseConfig, temporalSecurity, type TemporalSecurity } from '../app/config';
import { historyFromJSON, historyToJSON, type NamedHistory } from '../workers/history';
import { InputError } from './inputs';

/** Reads one history file; anything that is not a workflow history is an input error naming the file. */
export function readHistoryFile(file: string): NamedHistory {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0) throw new InputError(`${file}: not a workflow history: expected an object with a non-empty "events" array`);
  let history: History;
  try {
    history = historyFromJSON(json);
  } catch (err) {
    throw new InputError(`${file}: not a workflow history: ${(err as Error).message}`);
  }
  // The file format carries no workflow id; the file's name stands in for it.
  return { label: file, workflowId: path.basename(file, '.json'), history };
}

/** The histories in files and folders (every `*.json` directly in a folder, by name), all read before any replay. */
export function readHistoryPaths(paths: string[]): NamedHistory[] {
  return paths.flatMap((given) => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch (err) {
      throw new InputError(`${given}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!stat.isDirectory()) return [readHistoryFile(given)];
    const files = fs
      .readdirSync(given)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => path.join(given, name));
    if (!files.length) throw new InputError(`${given}: holds no *.json history files`);
    return files.map(readHistoryFile);
  });
}

// --- server -----------------------------------------------------------------------------------

export interface TemporalTarget {
  address: string;
  namespace: string;
  security?: TemporalSecurity;
}

/** Where the Temporal frontend is and how it is secured, from TEMPORAL_* (the local default when unset). */
export function temporalTarget(env: Record<string, string | undefined>): TemporalTarget {
  const config = parseConfig(env);
  return { address: config.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', namespace: config.TEMPORAL_NAMESPACE, security: temporalSecurity(config) };
}

/** Runs `body` with a client of the target, closing the connection afterwards. */
export async function withClient<T>(target: TemporalTarget, body: (client: Client) => Promise<T>): Promise<T> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: target.address, connectTimeout: '5s', ...target.security });
  } catch (err) {
    throw new InputError(`cannot reach Temporal at ${target.address} (TEMPORAL_ADDRESS): ${oneLine(err)}`);
  }
  try {
    return await body(new Client({ connection, namespace: target.namespace }));
  } finally {
    await connection.close();
  }
}

/** One run's history: the latest run unless `runId` is given. Unknown workflows are input errors. */
export async function fetchHistory(client: Client, workflowId: string, runId?: string): Promise<History> {
  try {
    return await client.workflow.getHandle(workflowId, runId).fetchHistory();
  } catch (err) {
    throw asInputError(err, client, `workflow ${workflowId}${runId ? ` run ${runId}` : ''}`);
  }
}

/** Every run the visibility query matches, with its history, fetched one at a time as replay asks. */
export async function* queryHistories(client: Client, query: string): AsyncGenerator<NamedHistory> {
  const executions = client.workflow.list({ query })[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<{ workflowId: string; runId: string }>;
    try {
      next = await executions.next();
    } catch (err) {
      throw asInputError(err, client, `--query ${JSON.stringify(query)}`);
    }
    if (next.done) return;
    const { workflowId, runId } = next.value;
    yield { label: `${workflowId} (run ${runId})`, workflowId, history: await fetchHistory(client, workflowId, runId) };
  }
}

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_NOT_FOUND = 5;

/** The server's answers that mean the user asked for something wrong, as one-line input errors; others unchanged. */
function asInputError(err: unknown, client: Client, what: string): unknown {
  const namespace = client.options.namespace;
  const status = [err, (err as { cause?: unknown } | null)?.cause].find(
    (e): e is { code: number; details?: string } => typeof (e as { code?: unknown } | null)?.code === 'number',
  );
  const details = status?.details ?? oneLine(err);
  if (err instanceof NamespaceNotFoundError || (status?.code === GRPC_NOT_FOUND && /namespace/i.test(details))) {
    return new InputError(`TEMPORAL_NAMESPACE: namespace ${JSON.stringify(namespace)} does not exist`);
  }
  if (err instanceof WorkflowNotFoundError || status?.code === GRPC_NOT_FOUND) return new InputError(`${what} not found in namespace ${namespace}`);
  if (status?.code === GRPC_INVALID_ARGUMENT) return new InputError(`${what}: ${details}`);
  return err;
}

// --- `nurture history export` -----------------------------------------------------------------

export interface ExportOptions {
  out?: string;
  runId?: string;
}

/** Writes the history of `workflowId` as JSON to `out` (stdout when absent) and returns a one-line summary. */
export async function exportHistory(workflowId: string, options: ExportOptions, env: Record<string, string | undefined> = process.env): Promise<string> {
  if (!workflowId.trim()) throw new InputError('history export: the workflow id is empty');
  if (options.out !== undefined) {
    const folder = path.dirname(path.resolve(options.out));
    if (!fs.existsSync(folder)) throw new InputError(`--out: folder ${folder} does not exist`);
  }
  const target = temporalTarget(env);
  const history = await withClient(target, (client) => fetchHistory(client, workflowId, options.runId));
  const json = `${historyToJSON(history)}\n`;
  if (options.out === undefined) {
    process.stdout.write(json);
  } else {
    try {
      fs.writeFileSync(options.out, json);
    } catch (err) {
      throw new InputError(`--out: ${options.out} cannot be written: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return `history export: ${history.events?.length ?? 0} events of ${workflowId}${options.out ? ` written to ${options.out}` : ''}`;
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.trim();
}
