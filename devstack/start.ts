// `nurture start`: runs the engine on embedded defaults. Starts PostgreSQL (migrated) and the
// Temporal dev server persisted under the data folder (or, with NURTURE_TEMPORAL=cluster, the full
// Temporal server's four services on that PostgreSQL), unless DATABASE_URL / TEMPORAL_ADDRESS point
// at running ones; a local SMTP sink and a local Twilio-compatible SMS sink that keep what they
// receive in the data folder's outbox, unless SMTP_URL / TWILIO_* are set; then the lead worker, the
// delivery workers and the API. Waits for Ctrl-C and stops everything in reverse order: the API
// stops accepting, the workers drain, the sinks and the servers stop.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { dataDirOf, deliveryConfig, localDatabaseUrlFile, publicUrl, type ApiSecrets, type Config } from '../app/config';
import { reservePort } from '../app/net';
import type { Part } from '../app/part';
import { engineCatalog, startApi, startDeliveryWorkers, startLeadWorker, waitForShutdownSignal } from '../app/parts';
import { installTelemetry } from '../app/telemetry';
import type { Catalog } from '../core/protocol';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { LEAD_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';
import { startCluster } from './cluster';
import { startEmbeddedPostgres } from './postgres';
import { startLocalSinks } from './sinks';
import { startDevServer } from './temporal';

/** The footer address of messages that only reach the local outbox (real mail needs NURTURE_SENDER_ADDRESS). */
const LOCAL_SENDER_ADDRESS = '1 Main St, Springfield';

export async function start(config: Config): Promise<void> {
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
    const apiPort = await reservePort(config.HOST ?? '127.0.0.1', config.PORT, 'PORT');
    /** The full Temporal server on this machine, rather than the dev server or a configured one. */
    const runsCluster = config.NURTURE_TEMPORAL === 'cluster' && !config.TEMPORAL_ADDRESS;
    parts.push({ name: 'API port', stop: apiPort.release });
    // The cluster keeps its data in the database server; the dev server starts beside it.
    const [databaseUrl, temporal] = runsCluster
      ? await startDatabase(config, dataDir, parts).then(async (url) => [url, await startLocalCluster(url, dataDir, parts)] as const)
      : await Promise.all([startDatabase(config, dataDir, parts), startTemporal(config, dataDir, parts)]);
    // A terminal's Ctrl-C also reaches the embedded PostgreSQL, which closes idle connections
    // before the pool ends: expected while stopping, and not worth crashing over at any time.
    const pool = createPool(databaseUrl, (err) => logger.error({ err }, 'database'));
    parts.push({ name: 'database pool', stop: () => pool.end() });
    const applied = await migrate(pool);
    const servers = { temporalAddress: temporal.address, namespace: config.TEMPORAL_NAMESPACE, pool };
    const secrets = await localSecrets(config, dataDir);
    const sinks = await startLocalSinks(config, dataDir, parts);
    const catalog = engineCatalog(config);
    const delivered = deliveryConfig({
      ...config,
      ...sinks.config,
      NURTURE_LINK_SECRET: secrets.linkSecret,
      PUBLIC_URL: publicUrl(config),
      // Stand-ins that let every library touch render, only while email stays on this machine.
      ...(sinks.config.SMTP_URL
        ? { NURTURE_SENDER_ADDRESS: config.NURTURE_SENDER_ADDRESS ?? LOCAL_SENDER_ADDRESS, NURTURE_OFFERS: config.NURTURE_OFFERS ?? placeholderOffers(catalog, publicUrl(config)) }
        : {}),
    });
    const started = <T extends Part>(part: T): T => {
      parts.push(part);
      return part;
    };
    // Both workers at once: the lead worker's bundling takes most of a second.
    const [, delivery] = await Promise.all([
      startLeadWorker(servers, catalog, delivered, config, logger).then(started),
      startDeliveryWorkers(servers, catalog, delivered).then(started),
    ]);
    await apiPort.release();
    const api = await startApi(servers, { ...config, ...sinks.config }, secrets, telemetry, true);
    parts.push(api);

    const lines = [
      `nurture engine ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
      `  API          ${api.url}  (Authorization: Bearer ${secrets.apiKey})`,
      `  API docs     ${api.url}/docs`,
      `  Sales inbox  ${api.url}/app  (reps sign in by a link mailed to them${sinks.outboxUrl ? '; it lands in the outbox' : ''})`,
      `  Marketing    ${api.url}/app/overview  (sign in with the dev key, or a key of the marketing scope)`,
      `  Delivery     ${delivery.channels.join(', ') || 'no channel configured'}`,
      ...(sinks.outboxUrl ? [`  Outbox       ${sinks.outboxUrl}  (${sinks.local.join(' and ')} stay on this machine; \`nurture outbox\` prints the latest)`] : []),
      `  Temporal     ${temporal.address} (namespace ${config.TEMPORAL_NAMESPACE}${runsCluster ? '; the full server: frontend, history, matching and worker, logs in the data folder\'s cluster/logs' : ''})`,
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
  // While it runs, the commands that read the database directly (`nurture backtest`) find it here.
  const urlFile = localDatabaseUrlFile(dataDir);
  await fs.writeFile(urlFile, postgres.url, { mode: 0o600 });
  parts.push({ name: 'database URL file', stop: () => fs.rm(urlFile, { force: true }) });
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

/** The full Temporal server (frontend, history, matching, worker as four processes) on the database server at `databaseUrl`. */
async function startLocalCluster(databaseUrl: string, dataDir: string, parts: Part[]): Promise<{ address: string; uiUrl?: string }> {
  const cluster = await startCluster({ postgres: databaseUrl, dataDir: path.join(dataDir, 'cluster') });
  parts.push({ name: 'Temporal cluster', stop: cluster.stop });
  return cluster;
}

/** Every offer in the catalog, at a placeholder on the API's public base. */
export function placeholderOffers(catalog: Catalog, base: string): Record<string, string> {
  const offers = Object.values(catalog.versions).flatMap((sequence) => sequence.steps.flatMap((step) => (step.kind === 'offer' ? [step.offer] : [])));
  return Object.fromEntries([...new Set(offers)].map((offer) => [offer, `${base.replace(/\/$/, '')}/offers/${offer}`]));
}

/**
 * The admin key, link secret and erasure key from the environment, or ones made at the first start and kept in
 * the data folder, so links in sent messages keep working and erased people stay refused across restarts.
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
    erasureSecret: config.NURTURE_ERASURE_SECRET ?? kept.erasureSecret ?? randomBytes(32).toString('base64url'),
  };
  const keep = { apiKey: kept.apiKey ?? secrets.apiKey, linkSecret: kept.linkSecret ?? secrets.linkSecret, erasureSecret: kept.erasureSecret ?? secrets.erasureSecret };
  await fs.writeFile(file, JSON.stringify(keep), { mode: 0o600 });
  return secrets;
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
