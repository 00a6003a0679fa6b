// The engine's long-running parts, each started against servers that already run: the lead worker
// (lead and handoff workflows with their PostgreSQL activities), the delivery workers (one per
// configured channel's send queue) and the HTTP API with its event relay. `nurture start` runs them
// all beside embedded servers; `nurture worker` and `nurture api` run some, which is how the engine
// scales out.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Pool } from 'pg';
import { InAppStream } from '../db/repositories/inAppMessages';
import { publishVersions } from '../db/repositories/sequenceVersions';
import { correlationClientInterceptor } from '../api/plugins/correlation';
import { EventRelay } from '../api/relay';
import { seedAdminKey } from '../db/repositories/apiKeys';
import { buildApi } from '../api/app';
import { ConfigError, type Config } from '../app/config';
import type { Catalog } from '../core/protocol';
import { formatSendWindow } from '../core/model/sendWindow';
import { defaultCatalog, TEMPLATES_DIR } from '../sequences/library';
import type { Channel } from '../core/model/events';
import { migrate } from '../db/migrate';
import { loadTemplates, TemplateRenderer } from '../channels/templates';
import { bundleLeadWorkflows } from '../workers/bundle';
import { parseDeliveryConfig } from '../workers/deliveryConfig';
import { deliveryWorkerOptions } from '../workers/deliveryWorker';
import { leadWorkerOptions } from '../workers/leadWorker';
import { createLogger, RuntimeLogger } from './logging';
import { installTelemetry, type Telemetry } from './telemetry';

export interface Part {
  name: string;
  /** Stops taking work, finishes what is under way, and releases its connections. */
  stop(): Promise<void>;
}

export interface Servers {
  /** host:port of the Temporal frontend. */
  temporalAddress: string;
  namespace: string;
  pool: Pool;
}

/**
 * For tools that print results of their own on stdout (the benchmarks): the runtime's warnings and
 * errors go to stderr. The engine's processes install cli/telemetry instead.
 */
export function installQuietRuntime(): void {
  Runtime.install({ logger: new RuntimeLogger(createLogger('warn', process.stderr)), shutdownSignals: [] });
}

/** Starts the lead worker; resolves once it polls. */
export async function startLeadWorker(servers: Servers, catalog: Catalog): Promise<Part> {
  await publishVersions(servers.pool, catalog.versions);
  const [connection, workflowBundle] = await Promise.all([NativeConnection.connect({ address: servers.temporalAddress }), bundleLeadWorkflows()]);
  const worker = await Worker.create(leadWorkerOptions({ connection, namespace: servers.namespace, pool: servers.pool, catalog, workflowBundle }));
  const running = worker.run();
  return {
    name: 'lead worker',
    stop: async () => {
      // Drains: workflow tasks and activities under way finish first.
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/**
 * Starts a delivery worker for every channel `env` configures (workers/deliveryConfig); resolves once
 * they poll. A bad or missing variable throws a ConfigError that names it, before anything connects.
 */
export async function startDeliveryWorkers(servers: Servers, catalog: Catalog, env: Record<string, string | undefined>): Promise<Part & { channels: Channel[] }> {
  const config = parseDeliveryConfig(env);
  const connection = await NativeConnection.connect({ address: servers.temporalAddress });
  const delivery = deliveryWorkerOptions({ connection, namespace: servers.namespace, pool: servers.pool, renderer: new TemplateRenderer(loadTemplates(TEMPLATES_DIR)), catalog, config });
  const workers = await Promise.all(delivery.options.map((options) => Worker.create(options)));
  const running = Promise.all(workers.map((worker) => worker.run()));
  return {
    name: 'delivery workers',
    channels: delivery.channels,
    stop: async () => {
      // Drains: sends under way finish (and are marked in the ledger) first.
      for (const worker of workers) worker.shutdown();
      await running;
      delivery.close();
      await connection.close();
    },
  };
}

/** The base URL recipients reach the API's public routes at: PUBLIC_URL, else the API's own address. */
export function apiPublicUrl(config: Config): string {
  return config.PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`;
}

export interface ApiSecrets {
  apiKey: string;
  linkSecret: string;
}

/** Starts the HTTP API and the event relay on `config.PORT`; resolves once it listens. */
export async function startApi(servers: Servers, config: Config, secrets: ApiSecrets, telemetry: Telemetry): Promise<Part & { url: string }> {
  const connection = await Connection.connect({ address: servers.temporalAddress });
  const client = new Client({ connection, namespace: servers.namespace, interceptors: { workflow: [correlationClientInterceptor] } });
  await seedAdminKey(servers.pool, secrets.apiKey);
  const relay = new EventRelay(servers.pool, client, { onError: (err, leadId) => telemetry.logger.error({ err, leadId }, 'relay: an event stays pending') });
  const inAppStream = await InAppStream.listen(servers.pool);
  const app = await buildApi({
    pool: servers.pool,
    client,
    relay,
    inAppStream,
    public: { linkSecret: secrets.linkSecret, publicUrl: apiPublicUrl(config) },
    logger: telemetry.logger,
    processMetrics: telemetry.metrics,
    corsOrigins: config.NURTURE_CORS_ORIGINS,
  });
  const address = await app.listen({ host: config.HOST ?? '127.0.0.1', port: config.PORT });
  relay.start();
  // Events left pending by an earlier outage or stop go out now.
  void relay.sweep().catch(() => undefined);
  return {
    name: 'API',
    url: address,
    stop: async () => {
      // Stops accepting, lets requests under way finish, then the relay's deliveries.
      await app.close();
      await relay.stop();
      await inAppStream.close();
      await connection.close();
    },
  };
}

/** The secrets `nurture api` needs from the environment, named when missing. */
export function requiredSecrets(config: Config): ApiSecrets {
  if (!config.NURTURE_API_KEY) throw new ConfigError('NURTURE_API_KEY is required: the admin key the API seeds');
  if (!config.NURTURE_LINK_SECRET) throw new ConfigError('NURTURE_LINK_SECRET is required: the secret message links are signed with');
  return { apiKey: config.NURTURE_API_KEY, linkSecret: config.NURTURE_LINK_SECRET };
}

/** The library's catalog with the deployment's send windows (NURTURE_EMAIL_WINDOW, NURTURE_SMS_WINDOW). */
export function engineCatalog(config: Config): Catalog {
  const windows = {
    ...(config.NURTURE_EMAIL_WINDOW && { email: formatSendWindow(config.NURTURE_EMAIL_WINDOW) }),
    ...(config.NURTURE_SMS_WINDOW && { sms: formatSendWindow(config.NURTURE_SMS_WINDOW) }),
  };
  return defaultCatalog({ cadence: { windows } });
}

/** The servers `nurture worker` and `nurture api` connect to, named when missing. */
export function requiredServers(config: Config): { databaseUrl: string; temporalAddress: string } {
  if (!config.DATABASE_URL) throw new ConfigError('DATABASE_URL is required: the engine\'s PostgreSQL');
  if (!config.TEMPORAL_ADDRESS) throw new ConfigError('TEMPORAL_ADDRESS is required: host:port of the Temporal frontend');
  return { databaseUrl: config.DATABASE_URL, temporalAddress: config.TEMPORAL_ADDRESS };
}

/** `nurture worker` / `nurture api`: one part against configured servers, until SIGINT or SIGTERM. */
export async function runPart(
  config: Config,
  startPart: (servers: Servers, telemetry: Telemetry) => Promise<Part>,
  waitForSignal: () => Promise<unknown>,
): Promise<void> {
  const { databaseUrl, temporalAddress } = requiredServers(config);
  const telemetry = await installTelemetry(config.LOG_LEVEL);
  const pool = new Pool({ connectionString: databaseUrl });
  // An idle connection the server closes (a restart, a failover) is replaced on the next query.
  pool.on('error', (err) => telemetry.logger.error({ err }, 'database'));
  try {
    await migrate(pool);
    const part = await startPart({ temporalAddress, namespace: config.TEMPORAL_NAMESPACE, pool }, telemetry);
    telemetry.logger.info({ temporalAddress }, `${part.name} running; Ctrl-C stops it`);
    await waitForSignal();
    await part.stop();
  } finally {
    await pool.end();
  }
}
