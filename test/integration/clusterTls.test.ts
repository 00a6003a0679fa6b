// The cluster's frontend secured as a self-hosted production cluster's is: TLS only, and only for
// clients with a certificate the cluster's CA signed (mTLS). The engine reaches it set up by
// TEMPORAL_TLS_* alone: the API and the production lead worker run a lead over it.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Pool } from 'pg';
import { parseConfig, temporalSecurity } from '../../app/config';
import { temporalTarget, withClient } from '../../cli/history';
import type { Cluster } from '../../devstack/cluster';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { callApi, withApi } from '../support/api';
import { anyHourCatalog, eventually, withWorkers } from '../support/harness';
import { testCertificates, type TestCertificates } from '../support/testCertificates';
import { startTestCluster, type TestCluster } from '../support/testCluster';

const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;

let servers: TestCluster, cluster: Cluster, certificates: TestCertificates, pool: Pool;
/** The engine's settings for this cluster, as an operator would write them. */
let env: Record<string, string>;

beforeAll(async () => {
  certificates = await testCertificates();
  const { files, serverName } = certificates;
  servers = await startTestCluster({ catalog, adminKey }, {
    tls: { caFile: files.ca, serverName, server: { certFile: files.serverCert, keyFile: files.serverKey }, client: { certFile: files.clientCert, keyFile: files.clientKey } },
  });
  ({ cluster, pool } = servers);
  env = {
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_NAMESPACE: cluster.namespace,
    TEMPORAL_TLS_SERVER_NAME: serverName,
    TEMPORAL_TLS_CA: files.ca,
    TEMPORAL_TLS_CERT: files.clientCert,
    TEMPORAL_TLS_KEY: files.clientKey,
  };
}, 10 * 60_000);

afterAll(async () => {
  await servers?.stop();
  if (certificates) await fs.rm(certificates.files.dir, { recursive: true, force: true });
}, 60_000);

it('runs a lead through the API and the production worker over mTLS, set up by TEMPORAL_TLS_* alone', async () => {
  const security = temporalSecurity(parseConfig(env));
  const connection = await Connection.connect({ address: cluster.address, ...security });
  const nativeConnection = await NativeConnection.connect({ address: cluster.address, ...security });
  try {
    const client = new Client({ connection, namespace: cluster.namespace });
    const leadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) => engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle });
    await withWorkers({ client, nativeConnection }, { catalog, leadWorker }, async ({ taskQueue }) => {
      await withApi({ pool, client, taskQueue }, async ({ url }) => {
        const call = (method: string, route: string, body?: unknown) => callApi(`${url}${route}`, method, adminKey, body);
        const leadId = `lead-${randomUUID()}`;
        expect((await call('POST', '/v1/leads', { id: leadId, email: 'ana@northwind.example', country: 'DE' })).status).toBe(201);
        const event = { eventId: randomUUID(), leadId, type: 'page_view', occurredAt: new Date().toISOString(), properties: { url: 'https://northwind.example/pricing', category: 'pricing' } };
        expect((await call('POST', '/v1/events', event)).status).toBe(202);
        await eventually(async () => ((await call('GET', `/v1/leads/${leadId}`)).body?.state?.counters?.events === 1 ? true : undefined));
      });
    });
  } finally {
    await nativeConnection.close();
    await connection.close();
  }
});

it('turns away a client without a certificate the CA signed, and one that does not speak TLS', async () => {
  const { TEMPORAL_TLS_CERT: _cert, TEMPORAL_TLS_KEY: _key, ...withoutCertificate } = env;
  await expect(withClient(temporalTarget(withoutCertificate), (client) => client.workflowService.getSystemInfo({}))).rejects.toThrow('cannot reach Temporal');
  const { TEMPORAL_TLS_CA: _ca, TEMPORAL_TLS_SERVER_NAME: _name, ...plaintext } = withoutCertificate;
  await expect(withClient(temporalTarget(plaintext), (client) => client.workflowService.getSystemInfo({}))).rejects.toThrow('cannot reach Temporal');
  expect(await withClient(temporalTarget(env), (client) => client.workflowService.getSystemInfo({}))).toMatchObject({ serverVersion: expect.stringMatching(/^1\.29\./) });
});
