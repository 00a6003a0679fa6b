// A real Temporal cluster on one machine: the full server (go.temporal.io/server, built from the Go
// module proxy by scripts/tools.ts) on PostgreSQL, its four services (frontend, history, matching,
// worker) as four processes on free loopback ports, as a self-hosted cluster runs them. For tests of
// the cluster shape; `npm start` keeps the dev server.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection, isGrpcServiceError, type TLSConfig } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { getFreePort } from '../app/net';
import { createDatabaseIfMissing } from '../db/admin';
import { LEAD_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';
import { HISTORY_SHARDS, TEMPORAL_DATABASES, TEMPORAL_SERVICES, type TemporalService } from '../scripts/temporalTopology';
import { resolveTemporalServer, resolveTemporalSqlTool, type SqlTool } from '../scripts/tools';
import { registerSearchAttributes } from './temporal';

const execFileAsync = promisify(execFile);

const SERVICES = TEMPORAL_SERVICES;
type Service = TemporalService;
/** The services behind the frontend, which start once it answers. */
const BEHIND_FRONTEND = SERVICES.filter((service): service is Exclude<Service, 'frontend'> => service !== 'frontend');

/** A PostgreSQL server by its parts; the user must be allowed to create databases. */
interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ClusterOptions {
  /** Where Temporal keeps its data: a URL (its database is ignored: the cluster's are created beside it) or the server's parts. */
  postgres: string | PostgresServer;
  /** The config, the services' logs (`logs/<service>.log`) and their working folder. */
  dataDir: string;
  /** The two databases, created when absent: `temporal` and `temporal_visibility` by default. */
  databases?: { default: string; visibility: string };
  namespace?: string;
  /** Registered on the namespace; the lead workflows' by default. */
  searchAttributes?: SearchAttributeKey<SearchAttributeType>[];
  /** The frontend's gRPC port (a free one when absent). */
  port?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long the four services may take to start (60 s by default). */
  startTimeoutMs?: number;
  /** The frontend takes TLS only, from clients with a certificate `ca` signed (mTLS), as a secured cluster does. */
  tls?: ClusterTls;
}

/** PEM files: the frontend's certificate for `serverName`, and a client certificate for the cluster's own clients. */
interface ClusterTls {
  caFile: string;
  serverName: string;
  server: { certFile: string; keyFile: string };
  client: { certFile: string; keyFile: string };
}

export interface Cluster {
  /** host:port of the frontend. */
  address: string;
  namespace: string;
  stop(): Promise<void>;
  /** Stops one service as an outage or a rolling restart does (SIGTERM); the others run on. */
  stopService(service: Service): Promise<void>;
  /** Starts a stopped service again on its ports; resolves once it serves. */
  startService(service: Service): Promise<void>;
}

/**
 * Sets up (or updates) the schemas, starts the four services and resolves once the namespace and its
 * search attributes are registered and every service has started (a stop during a service's start
 * would hang in it).
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const postgres = typeof options.postgres === 'string' ? parsePostgresUrl(options.postgres) : options.postgres;
  const databases = options.databases ?? TEMPORAL_DATABASES;
  const namespace = options.namespace ?? 'default';
  const dataDir = path.resolve(options.dataDir);
  const [server, sqlTool] = await Promise.all([resolveTemporalServer(), resolveTemporalSqlTool()]);

  const adminUrl = postgresUrl(postgres, 'postgres');
  for (const database of [databases.default, databases.visibility]) await createDatabaseIfMissing(adminUrl, database);
  await Promise.all([setUpSchema(sqlTool, postgres, databases.default, 'temporal'), setUpSchema(sqlTool, postgres, databases.visibility, 'visibility')]);

  const ports = await servicePorts(dataDir, options.port);
  const address = `127.0.0.1:${ports.frontend.grpcPort}`;
  await writeConfig(dataDir, { postgres, databases, ports, address, logLevel: options.logLevel ?? 'info', tls: options.tls });

  // On a fresh database each service writes the cluster's metadata if it finds none, and two at once
  // fail: the frontend goes first, the others once it answers.
  const processes = [await startService(server, dataDir, 'frontend')];
  const stop = async () => {
    process.off('exit', killAll);
    await Promise.all(processes.map((service) => service.stop()));
  };
  // A test runner that exits without stop() leaves no server behind.
  const killAll = () => processes.forEach((service) => service.child.kill('SIGKILL'));
  process.on('exit', killAll);
  const tls = options.tls && (await clientTls(options.tls));
  const connect = () => Connection.connect({ address, connectTimeout: 2_000, ...(tls ? { tls } : {}) });
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;

  try {
    const deadline = Date.now() + startTimeoutMs;
    const connection = await waitFor({ service: 'frontend', description: 'answering' }, connect, processes, deadline);
    try {
      processes.push(...(await Promise.all(BEHIND_FRONTEND.map((service) => startService(server, dataDir, service)))));
      await registerNamespace(connection, namespace);
      await registerSearchAttributes(connection, namespace, options.searchAttributes ?? LEAD_SEARCH_ATTRIBUTES);
      await Promise.all(BEHIND_FRONTEND.map((service) => waitForService(service, connection, namespace, processes, deadline)));
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const indexOf = (service: Service) => processes.findIndex((running) => running.service === service);
  return {
    address,
    namespace,
    stop,
    stopService: (service) => processes[indexOf(service)]!.stop(),
    startService: async (service) => {
      const index = indexOf(service);
      if (!processes[index]!.stopped()) throw new Error(`the Temporal ${service} service is running`);
      processes[index] = await startService(server, dataDir, service, processes[index]!.log);
      const deadline = Date.now() + startTimeoutMs;
      const connection = await waitFor({ service: 'frontend', description: 'answering' }, connect, processes, deadline);
      try {
        if (service !== 'frontend') await waitForService(service, connection, namespace, processes, deadline);
      } finally {
        await connection.close();
      }
    },
  };
}

function parsePostgresUrl(url: string): PostgresServer {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

function postgresUrl(server: PostgresServer, database: string): string {
  return `postgres://${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${database}`;
}

/** temporal-sql-tool: the version tables (a no-op when present), then every versioned step not yet applied. */
async function setUpSchema(tool: SqlTool, server: PostgresServer, database: string, store: 'temporal' | 'visibility'): Promise<void> {
  // The connection goes by environment, so the password is not in the process list.
  const env = {
    ...process.env,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: server.host,
    SQL_PORT: String(server.port),
    SQL_USER: server.user,
    SQL_PASSWORD: server.password,
    SQL_DATABASE: database,
  };
  for (const args of [['setup-schema', '-v', '0.0'], ['update-schema', '-d', path.join(tool.schemaDir, store, 'versioned')]]) {
    try {
      await execFileAsync(tool.path, args, { env, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const output = (err as { stderr?: string; stdout?: string }).stderr || (err as { stdout?: string }).stdout || String(err);
      throw new Error(`temporal-sql-tool ${args[0]} of ${store} (database ${database}) failed: ${tail(output)}`);
    }
  }
}

interface ServicePorts {
  grpcPort: number;
  membershipPort: number;
  httpPort?: number;
}

/**
 * The ports of the last start on this data folder where they are free again, else free ones. A
 * restart on the same addresses is the same cluster to its clients, and to itself: the old members'
 * heartbeats (counted for 20 s) name the new processes, where other addresses would keep the first
 * service to start trying to join members that are gone for its whole join timeout.
 */
async function servicePorts(dataDir: string, frontendPort?: number): Promise<Record<Service, ServicePorts>> {
  const previous = await previousPorts(dataDir);
  const reuse = async (port: number | undefined, fresh: () => Promise<number>) => (port && (await isFree(port)) ? port : fresh());
  const entries = await Promise.all(
    SERVICES.map(async (service) => {
      const before = previous?.[service];
      const ports: ServicePorts = {
        grpcPort: service === 'frontend' && frontendPort ? frontendPort : await reuse(before?.grpcPort, getFreePort),
        membershipPort: await reuse(before?.membershipPort, freeMembershipPort),
      };
      if (service === 'frontend') ports.httpPort = await reuse(before?.httpPort, getFreePort);
      return [service, ports] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<Service, ServicePorts>;
}

async function previousPorts(dataDir: string): Promise<Partial<Record<Service, Partial<ServicePorts>>> | undefined> {
  try {
    const config = JSON.parse(await fs.readFile(path.join(dataDir, CONFIG_FOLDER, `${ENVIRONMENT}.yaml`), 'utf8')) as { services?: Record<Service, { rpc?: ServicePorts }> };
    return Object.fromEntries(SERVICES.map((service) => [service, config.services?.[service]?.rpc ?? {}]));
  } catch {
    return undefined;
  }
}

/**
 * The membership table keeps a port as a smallint, so a membership port must be below 32768, where
 * the system's free ports (from 32768 up on Linux) are not: a free one is sought among 20000-32767.
 */
async function freeMembershipPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (!taken.has(port) && (await isFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port below 32768 for the Temporal services to find each other on');
}

/** Ports handed out by this process, free until their service starts. */
const taken = new Set<number>();

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const CONFIG_FOLDER = 'config';
const ENVIRONMENT = 'cluster';

/**
 * `config/cluster.yaml` and the dynamic config beside it. JSON is YAML, so no YAML writer; the file
 * holds the database password and is readable by its owner only.
 */
async function writeConfig(
  dataDir: string,
  settings: { postgres: PostgresServer; databases: { default: string; visibility: string }; ports: Record<Service, ServicePorts>; address: string; logLevel: string; tls: ClusterTls | undefined },
): Promise<void> {
  const configDir = path.join(dataDir, CONFIG_FOLDER);
  await fs.mkdir(path.join(dataDir, 'logs'), { recursive: true });
  await fs.mkdir(configDir, { recursive: true });
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${settings.postgres.host}:${settings.postgres.port}`,
      connectProtocol: 'tcp',
      user: settings.postgres.user,
      password: settings.postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
  const config = {
    log: { stdout: true, level: settings.logLevel, format: 'json' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: HISTORY_SHARDS,
      datastores: { 'postgres-default': store(settings.databases.default, 10), 'postgres-visibility': store(settings.databases.visibility, 4) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' }, ...(settings.tls ? { tls: tlsConfig(settings.tls) } : {}) },
    services: Object.fromEntries(SERVICES.map((service) => [service, { rpc: { ...settings.ports[service], bindOnLocalHost: true } }])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: settings.address, httpAddress: `127.0.0.1:${settings.ports.frontend.httpPort}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  await fs.writeFile(path.join(configDir, `${ENVIRONMENT}.yaml`), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await fs.writeFile(dynamicConfigFile, `${JSON.stringify(DYNAMIC_CONFIG, null, 2)}\n`);
}

/**
 * The frontend's TLS (clients must present a certificate the CA signed), and what the services that
 * call the frontend themselves present: the worker service's system workflows, the others' clients.
 */
function tlsConfig(tls: ClusterTls) {
  const toFrontend = { serverName: tls.serverName, rootCaFiles: [tls.caFile] };
  return {
    frontend: { server: { ...tls.server, requireClientAuth: true, clientCaFiles: [tls.caFile] }, client: toFrontend },
    systemWorker: { ...tls.client, client: toFrontend },
  };
}

async function clientTls(tls: ClusterTls): Promise<TLSConfig> {
  const [ca, crt, key] = await Promise.all([tls.caFile, tls.client.certFile, tls.client.keyFile].map((file) => fs.readFile(file)));
  return { serverNameOverride: tls.serverName, serverRootCACertificate: ca!, clientCertPair: { crt: crt!, key: key! } };
}

/**
 * What the dev server runs with (the SDK's flags and the CLI's defaults): workflow Updates, which the
 * handoff actions are, and search attributes seen by every service as soon as they are registered.
 */
const DYNAMIC_CONFIG = Object.fromEntries(
  Object.entries({
    'frontend.enableServerVersionCheck': false,
    'frontend.enableUpdateWorkflowExecution': true,
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
    'system.forceSearchAttributesCacheRefreshOnRead': true,
  }).map(([key, value]) => [key, [{ value }]]),
);

interface ServiceProcess {
  service: Service;
  child: ChildProcess;
  log: string;
  /** Where this run's lines begin in the log: a restarted service appends to its log. */
  logOffset: number;
  /** Settles when the process has exited. */
  exited: Promise<void>;
  stopped(): boolean;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;
const GRPC_NOT_FOUND = 5;

async function startService(server: string, dataDir: string, service: Service, log = path.join(dataDir, 'logs', `${service}.log`)): Promise<ServiceProcess> {
  const logFile = await fs.open(log, 'a');
  const logOffset = (await logFile.stat()).size;
  let child: ChildProcess;
  try {
    child = spawn(server, ['--root', dataDir, '--config', CONFIG_FOLDER, '--env', ENVIRONMENT, '--allow-no-auth', 'start', '--service', service], {
      cwd: dataDir,
      stdio: ['ignore', logFile.fd, logFile.fd],
    });
  } finally {
    await logFile.close();
  }
  const stopped = () => child.exitCode !== null || child.signalCode !== null;
  const exited = new Promise<void>((resolve) => {
    if (stopped()) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    service,
    child,
    log,
    logOffset,
    exited,
    stopped,
    stop: async () => {
      if (stopped()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `probe` until it gives a value; a service that exits meanwhile fails the start with its log's
 * tail, and so does the deadline, with the log of the service waited for.
 */
async function waitFor<T>(what: { service: Service; description: string }, probe: () => Promise<T | undefined>, processes: ServiceProcess[], deadline: number): Promise<T> {
  // A service stopped on purpose before the wait is not a failure of it.
  const exit = Promise.race(
    processes.filter((service) => !service.stopped()).map(async (service) => {
      await service.exited;
      return service;
    }),
  );
  let lastError: unknown;
  while (Date.now() < deadline) {
    const attempt = probe();
    const outcome = await Promise.race([attempt.then((value) => ({ value }), (err: unknown) => ({ err })), exit.then((service) => ({ service }))]);
    if ('service' in outcome) {
      void attempt.then((value) => (value instanceof Connection ? value.close() : undefined), () => undefined);
      const { exitCode, signalCode } = outcome.service.child;
      throw new Error(`Temporal ${outcome.service.service} service exited during start (${signalCode ?? `code ${exitCode}`}); ${outcome.service.log} ends: ${await logTail(outcome.service.log)}`);
    }
    if ('value' in outcome && outcome.value !== undefined) return outcome.value;
    if ('err' in outcome) lastError = outcome.err;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const log = processes.find((service) => service.service === what.service)!.log;
  throw new Error(`Temporal ${what.service} service: ${what.description} did not happen in time (${String(lastError ?? 'no error')}); ${log} ends: ${await logTail(log)}`);
}

/**
 * A service serves: history answers for a workflow (not found) and matching for a task queue, through
 * the frontend. The worker service (system workflows) answers no client call: its log says when it
 * has started, and a stop before then would hang in its start.
 */
async function waitForService(service: Exclude<Service, 'frontend'>, connection: Connection, namespace: string, processes: ServiceProcess[], deadline: number): Promise<void> {
  const probes: Record<typeof service, { description: string; probe: () => Promise<true | undefined> }> = {
    history: {
      description: 'answering for a workflow',
      probe: async () => {
        try {
          await connection.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId: `readiness-${randomUUID()}` } });
        } catch (err) {
          // Not found by history (a namespace not yet known to the frontend is not found too, and is retried).
          if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND && !/namespace/i.test(err.details)) return true;
          throw err;
        }
        return true;
      },
    },
    matching: {
      description: 'answering for a task queue',
      probe: async () => {
        await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: 'readiness' }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW });
        return true;
      },
    },
    worker: {
      description: 'its start',
      probe: async () => {
        const worker = processes.find((running) => running.service === 'worker')!;
        const log = await fs.readFile(worker.log);
        return log.subarray(worker.logOffset).includes('"worker service started"') ? true : undefined;
      },
    },
  };
  const { description, probe } = probes[service];
  await waitFor({ service, description }, probe, processes, deadline);
}

async function registerNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  } catch (err) {
    // A restarted cluster has it already.
    if (!/already exists|already registered/i.test(String((err as Error).message))) throw err;
  }
}

async function logTail(file: string): Promise<string> {
  return tail(await fs.readFile(file, 'utf8').catch(() => '')) || '(nothing)';
}

/** The last lines of a process's output (a JSON log line as its level, message and error), each cut short: where the error is. */
function tail(text: string, lines = 6): string {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .slice(-lines)
    .map((line) => {
      const shown = readable(line);
      return shown.length > 400 ? `${shown.slice(0, 400)}…` : shown;
    })
    .join('\n');
}

function readable(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
    if (typeof entry.msg === 'string') return `${entry.level ?? 'log'}: ${entry.msg}${entry.error ? `: ${entry.error}` : ''}`;
  } catch {
    // Not a JSON log line: shown as it is.
  }
  return line;
}
