// The four-service cluster for a test file: its databases beside a throwaway engine database (ready
// for the engine's processes) on the run's PostgreSQL, a data folder of its own, and one stop() that
// leaves nothing behind.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import type { Catalog } from '../../core/protocol';
import { dropDatabase } from '../../db/admin';
import { migrate } from '../../db/migrate';
import { seedAdminKey } from '../../db/repositories/apiKeys';
import { publishVersions } from '../../db/repositories/sequenceVersions';
import { startCluster, type Cluster, type ClusterOptions } from '../../devstack/cluster';
import { startTestPostgres, type Postgres } from '../../devstack/postgres';

export interface TestCluster {
  cluster: Cluster;
  /** The engine's database. */
  postgres: Postgres;
  /** A pool on it; with `engine` given, migrated, the catalog's versions published and the admin key seeded. */
  pool: Pool;
  /** The cluster's config, logs and working folder, for a test's own files too. */
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestCluster(engine?: { catalog: Catalog; adminKey: string }, options: Pick<ClusterOptions, 'tls'> = {}): Promise<TestCluster> {
  const suffix = randomUUID().slice(0, 8);
  const databases = { default: `temporal_${suffix}`, visibility: `temporal_visibility_${suffix}` };
  const postgres = await startTestPostgres();
  const pool = new Pool({ connectionString: postgres.url });
  if (engine) {
    await migrate(pool);
    await publishVersions(pool, engine.catalog.versions);
    await seedAdminKey(pool, engine.adminKey);
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'nurture-cluster-'));
  const stopServers = async (cluster?: Cluster) => {
    await cluster?.stop();
    await pool.end();
    const adminUrl = Object.assign(new URL(postgres.url), { pathname: '/postgres' }).toString();
    await Promise.all([dropDatabase(adminUrl, databases.default), dropDatabase(adminUrl, databases.visibility)]);
    await postgres.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  try {
    // The first run builds the server from the Go module proxy.
    const cluster = await startCluster({ postgres: postgres.url, dataDir, databases, ...options });
    return { cluster, postgres, pool, dataDir, stop: () => stopServers(cluster) };
  } catch (err) {
    await stopServers();
    throw err;
  }
}
