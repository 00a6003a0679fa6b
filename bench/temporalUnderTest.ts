// The Temporal a benchmark runs on: the CLI's dev server, or with BENCH_TEMPORAL=cluster the
// four-service cluster (devstack/cluster.ts) on an embedded PostgreSQL of its own, so the same
// figures can be read side by side.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startCluster } from '../devstack/cluster';
import { startTestPostgres } from '../devstack/postgres';
import { startDevServer } from '../devstack/temporal';
import { LEAD_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';

export const BENCH_TEMPORAL = process.env.BENCH_TEMPORAL === 'cluster' ? 'cluster' : 'dev-server';

export interface TemporalUnderTest {
  kind: typeof BENCH_TEMPORAL;
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  stop(): Promise<void>;
}

export async function startTemporalUnderTest(): Promise<TemporalUnderTest> {
  if (BENCH_TEMPORAL === 'dev-server') {
    const server = await startDevServer({ searchAttributes: LEAD_SEARCH_ATTRIBUTES });
    return { kind: BENCH_TEMPORAL, address: server.address, client: server.env.client, nativeConnection: server.env.nativeConnection, stop: () => server.stop() };
  }
  const postgres = await startTestPostgres();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-cluster-'));
  const stopAll: (() => Promise<unknown>)[] = [() => fs.rm(dataDir, { recursive: true, force: true }), () => postgres.stop()];
  const stop = async () => {
    for (const step of stopAll.reverse()) await step();
  };
  try {
    const cluster = await startCluster({ postgres: postgres.url, dataDir });
    stopAll.push(() => cluster.stop());
    const connection = await Connection.connect({ address: cluster.address });
    stopAll.push(() => connection.close());
    const nativeConnection = await NativeConnection.connect({ address: cluster.address });
    stopAll.push(() => nativeConnection.close());
    return { kind: BENCH_TEMPORAL, address: cluster.address, client: new Client({ connection, namespace: cluster.namespace }), nativeConnection, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
