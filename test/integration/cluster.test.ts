// The engine on a real Temporal cluster: the full server (go.temporal.io/server v1.29.1, built into
// .tools/ on first run, about 4 minutes) on PostgreSQL, its four services as four processes. The
// production lead worker and the API run against it: a lead asks for a demo, its workflow moves it to
// sales and starts the handoff child, and a rep accepts it through a workflow Update.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Pool } from 'pg';
import type { Cluster } from '../../devstack/cluster';
import { resolveTemporalCli } from '../../scripts/tools';
import { leadWorkflowId } from '../../workflows/contract';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { callApi, withApi } from '../support/api';
import { runNurture } from '../support/engineProcess';
import { anyHourCatalog, eventually, withWorkers } from '../support/harness';
import { startTestCluster, type TestCluster } from '../support/testCluster';

const execFileAsync = promisify(execFile);
const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;

let servers: TestCluster, cluster: Cluster;
let pool: Pool, connection: Connection, nativeConnection: NativeConnection, client: Client;

beforeAll(async () => {
  servers = await startTestCluster({ catalog, adminKey });
  ({ cluster, pool } = servers);
  connection = await Connection.connect({ address: cluster.address });
  nativeConnection = await NativeConnection.connect({ address: cluster.address });
  client = new Client({ connection, namespace: cluster.namespace });
}, 10 * 60_000);

afterAll(async () => {
  await nativeConnection?.close();
  await connection?.close();
  await servers?.stop();
}, 60_000);

const leadId = `lead-${randomUUID()}`;

it('runs a lead and its handoff on the four-service cluster', async () => {
  await pool.query("INSERT INTO reps (id, name) VALUES ($1, 'Robin')", [`rep-${randomUUID()}`]);
  const productionLeadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) =>
    engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle });

  await withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, async ({ taskQueue }) => {
    await withApi({ pool, client, taskQueue }, async ({ url }) => {
      const call = (method: string, route: string, body?: unknown) => callApi(`${url}${route}`, method, adminKey, body);
      expect(await call('GET', '/readyz')).toMatchObject({ status: 200, body: { checks: { postgres: true, temporal: true } } });
      const lead = { id: leadId, email: 'ana@northwind.example', title: 'VP Operations', industry: 'software', companySize: 300, country: 'DE' };
      expect(await call('POST', '/v1/leads', lead)).toEqual({ status: 201, body: { id: leadId, created: true } });
      const demoRequest = { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} };
      expect((await call('POST', '/v1/events', demoRequest)).status).toBe(202);

      // The lead's workflow on the cluster folded the event in and made the lead an MQL with a handoff open.
      const read = await eventually(async () => {
        const found = await call('GET', `/v1/leads/${leadId}`);
        return found.body?.state?.counters?.events === 1 ? found.body : undefined;
      });
      expect(read).toMatchObject({ id: leadId, state: { leadId, stage: 'mql' } });
      const described = await client.workflow.getHandle(leadWorkflowId(leadId)).describe();
      expect(described.taskQueue).toBe(taskQueue);

      // The handoff child workflow started and opened its task; a rep's accept is a workflow Update.
      const listed = await eventually(async () => {
        const list = await call('GET', '/v1/handoffs?status=open&limit=200');
        return list.body.items.find((item: { leadId: string }) => item.leadId === leadId);
      });
      expect(listed).toMatchObject({ id: `handoff-${leadId}-1`, leadId, status: 'open' });
      expect((await client.workflow.getHandle(listed.id).describe()).status.name).toBe('RUNNING');
      expect(await call('POST', `/v1/handoffs/${listed.id}/accept`, { by: 'robin' })).toMatchObject({ status: 200, body: { id: listed.id, status: 'accepted' } });
      await eventually(async () => ((await call('GET', `/v1/leads/${leadId}`)).body?.state?.stage === 'sql' ? true : undefined));

      // Visibility on PostgreSQL, with the lead search attributes registered.
      const found = await eventually(async () => {
        for await (const execution of client.workflow.list({ query: `WorkflowId = '${leadWorkflowId(leadId)}' AND NurtureStage = 'sql'` })) return execution;
        return undefined;
      });
      expect(found.workflowId).toBe(leadWorkflowId(leadId));
    });
  });
});

it("replays the lead's history as the official CLI exports it from the cluster, and every run a visibility query lists", async () => {
  const cli = await resolveTemporalCli();
  if (cli.type !== 'existing-path') throw new Error(`the Temporal CLI is not provisioned: ${cli.type}`);
  const exported = path.join(servers.dataDir, 'lead-history.json');
  const { stdout } = await execFileAsync(cli.path, ['workflow', 'show', '--output', 'json', '--address', cluster.address, '--namespace', cluster.namespace, '--workflow-id', leadWorkflowId(leadId)], { maxBuffer: 64 * 1024 * 1024 });
  await fs.writeFile(exported, stdout);
  expect(await runNurture(['replay', exported])).toMatchObject({ code: 0, output: expect.stringContaining('replay: 1 history, 1 ok, 0 failed') });

  // The lead and its handoff, straight from the cluster.
  const onCluster = { ...process.env, TEMPORAL_ADDRESS: cluster.address, TEMPORAL_NAMESPACE: cluster.namespace };
  const fleet = await runNurture(['replay', '--query', `WorkflowId = '${leadWorkflowId(leadId)}' OR WorkflowId = 'handoff-${leadId}-1'`], onCluster);
  expect(fleet).toMatchObject({ code: 0, output: expect.stringContaining('replay: 2 histories, 2 ok, 0 failed') });
});
