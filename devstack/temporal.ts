// Starts the Temporal servers the project runs on by default: the CLI dev server (persisted to a
// SQLite file for the main job, in memory for tests) and the time-skipping test server.
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { getFreePort } from '../app/net';
import { explainStartFailure, resolveTemporalCli, resolveTestServer } from '../scripts/tools';

export interface DevServerOptions {
  /** SQLite file to persist to; in memory when absent. */
  dbFilename?: string;
  /** Frontend port (a free one when absent): a restart on the same file and port is the same server to its clients. */
  port?: number;
  /** Serve the Web UI on this port (a free one is picked when `ui` is true and this is absent). */
  ui?: boolean;
  uiPort?: number;
  searchAttributes?: SearchAttributeKey<SearchAttributeType>[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface DevServer {
  env: TestWorkflowEnvironment;
  /** host:port of the frontend gRPC service. */
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/** Starts the dev server on free loopback ports and resolves once it answers gRPC calls. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const executable = await resolveTemporalCli();
  const uiPort = options.ui ? (options.uiPort ?? (await getFreePort())) : undefined;
  let env: TestWorkflowEnvironment;
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        ip: '127.0.0.1',
        port: options.port,
        dbFilename: options.dbFilename,
        ui: options.ui ?? false,
        uiPort,
        searchAttributes: options.searchAttributes,
        log: { format: 'json', level: options.logLevel ?? 'error' },
      },
    });
  } catch (err) {
    throw explainStartFailure(executable, 'temporal-cli', err);
  }
  return {
    env,
    address: env.address,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    stop: () => env.teardown(),
  };
}

/**
 * A fresh time-skipping environment; time is global to it, so each test file gets its own. The
 * search attributes are registered through the operator service, as the dev server does at start.
 */
export async function startTimeSkippingServer(searchAttributes: SearchAttributeKey<SearchAttributeType>[] = []): Promise<TestWorkflowEnvironment> {
  const executable = await resolveTestServer();
  let env: TestWorkflowEnvironment;
  try {
    env = await patiently(() => TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }));
  } catch (err) {
    throw explainStartFailure(executable, 'temporal-test-server', err);
  }
  await registerSearchAttributes(env.connection, env.namespace ?? 'default', searchAttributes);
  return env;
}

/**
 * A server start tried again when the server was only slow to answer: the SDK waits 5 s for it, and
 * on two cores busy with a test run beside it one start in many hundreds takes longer (a CI run saw
 * it). Any other failure, or a third slow start, is thrown.
 */
export async function patiently<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !/did not start within/.test(String((err as Error)?.message))) throw err;
    }
  }
}

/** Registers the search attributes the namespace lacks, through the operator service (a restarted server keeps its own). */
export async function registerSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
  searchAttributes: SearchAttributeKey<SearchAttributeType>[],
): Promise<void> {
  if (!searchAttributes.length) return;
  // The time-skipping server lists none (UNIMPLEMENTED), and is always new.
  const registered = await connection.operatorService.listSearchAttributes({ namespace }).then(
    ({ customAttributes }) => Object.keys(customAttributes ?? {}),
    (err: unknown) => {
      if (isGrpcServiceError(err) && err.code === GRPC_UNIMPLEMENTED) return [] as string[];
      throw err;
    },
  );
  const missing = searchAttributes.filter((key) => !registered.includes(key.name));
  if (!missing.length) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]])),
  });
}

const GRPC_UNIMPLEMENTED = 12;

const INDEXED_VALUE_TYPES: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};
