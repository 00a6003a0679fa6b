// What a test file of the integration layer connects to: the servers global setup started
// (TEMPORAL_ADDRESS, DATABASE_URL), with the catalog published. Closed after the file's tests.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Pool } from 'pg';
import { publishVersions } from '../../db/repositories/sequenceVersions';
import { seedAdminKey } from '../../db/repositories/apiKeys';
import type { Catalog } from '../../core/protocol';

export interface IntegrationConnections {
  pool: Pool;
  client: Client;
  nativeConnection: NativeConnection;
}

/**
 * Connects in beforeAll and closes in afterAll; the returned object is filled in before the first
 * test, and `connected` hears of it then too.
 */
export function useIntegrationServers(catalog: Catalog, connected?: (connections: IntegrationConnections) => void, options: { adminKey?: string } = {}): IntegrationConnections {
  const connections = {} as IntegrationConnections;
  let connection: Connection | undefined;
  beforeAll(async () => {
    connections.pool = new Pool({ connectionString: process.env.DATABASE_URL });
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
    connections.nativeConnection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
    connections.client = new Client({ connection });
    await publishVersions(connections.pool, catalog.versions);
    // An admin key of the file's own, for the tests that call the API.
    if (options.adminKey) await seedAdminKey(connections.pool, options.adminKey);
    connected?.(connections);
  });
  afterAll(async () => {
    await connections.nativeConnection?.close();
    await connection?.close();
    await connections.pool?.end();
  });
  return connections;
}
