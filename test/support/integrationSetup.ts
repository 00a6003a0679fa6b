// Starts the real servers of the integration layer once per run: the Temporal CLI dev server (in
// memory) and PostgreSQL (embedded in a temp folder, or a throwaway database on DATABASE_URL),
// migrated. Test files find them through TEMPORAL_ADDRESS and DATABASE_URL.
import { Pool } from 'pg';
import { migrate } from '../../db/migrate';
import { startTestPostgres, type Postgres } from '../../devstack/postgres';
import { startDevServer, type DevServer } from '../../devstack/temporal';
import { LEAD_SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';

export interface IntegrationServers {
  temporal?: DevServer;
  postgres?: Postgres;
}

declare global {
  // Handed from global setup to global teardown, which run in the same process.
  var integrationServers: IntegrationServers | undefined;
}

export default async function globalSetup(): Promise<void> {
  const servers: IntegrationServers = {};
  globalThis.integrationServers = servers;
  try {
    [servers.temporal, servers.postgres] = await Promise.all([startDevServer({ searchAttributes: LEAD_SEARCH_ATTRIBUTES }), startTestPostgres()]);
    const pool = new Pool({ connectionString: servers.postgres.url });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
  } catch (err) {
    // Jest skips global teardown when setup throws: stop whatever did start.
    await stopIntegrationServers();
    throw err;
  }
  process.env.TEMPORAL_ADDRESS = servers.temporal.address;
  process.env.DATABASE_URL = servers.postgres.url;
}

export async function stopIntegrationServers(): Promise<void> {
  const servers = globalThis.integrationServers;
  globalThis.integrationServers = undefined;
  await Promise.allSettled([servers?.temporal?.stop(), servers?.postgres?.stop()]);
}
