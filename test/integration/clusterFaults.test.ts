// The engine scaled out on the four-service cluster, as a deployment runs it: two `nurture api` and
// two `nurture worker` processes, a real SMTP server counting what arrives. Events go in through both
// APIs at once while workers are killed -9 in the middle of sends and folds and come back; then the
// history service stops during ingestion and starts again. What counts is what the leads' workflows
// folded and what the SMTP server received. Last, a new worker version is rolled out while leads run.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Pool } from 'pg';
import { getFreePort } from '../../app/net';
import type { Cluster } from '../../devstack/cluster';
import { patchesOf, signalledPages } from '../../devstack/leadHistory';
import { deploymentEnvironment, killPart, startPart as startPartProcess, stopPart, type PartProcess } from '../../devstack/parts';
import type { Postgres } from '../../devstack/postgres';
import { bundleLeadWorkflows } from '../../workers/bundle';
import { leadWorkflowId } from '../../workflows/contract';
import { callApi } from '../support/api';
import { touchableLeadId } from '../support/engineProcess';
import { eventually } from '../support/harness';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';
import { startTestCluster, type TestCluster } from '../support/testCluster';

const adminKey = `admin-${randomUUID()}`;
/** Every send is held this long before the SMTP server takes it: the kills land while sends are in flight. */
const SEND_DELAY_MS = 250;

let servers: TestCluster, postgres: Postgres, cluster: Cluster, dataDir: string, sink: SmtpSink;
let connection: Connection, client: Client, engineDb: Pool, patchedBundle: string;
/** When each received message arrived, by its index in `sink.received`. */
const arrivals: number[] = [];
let env: NodeJS.ProcessEnv;
const apis: PartProcess[] = [];
const workers: PartProcess[] = [];

const startPart = (command: 'api' | 'worker', settings: Record<string, string> = {}) => startPartProcess(command, { ...env, ...settings });

const apiUrls: string[] = [];
/** The API processes in turn, so that consecutive calls go through different processes. */
let turn = 0;
const call = (method: string, route: string, body?: unknown, api = apiUrls[turn++ % apiUrls.length]!) => callApi(`${api}${route}`, method, adminKey, body);

const pageView = (leadId: string, n: number) => ({
  eventId: randomUUID(),
  leadId,
  type: 'page_view',
  occurredAt: new Date().toISOString(),
  properties: { url: `https://northwind.example/blog/${n}`, category: 'blog' },
});

async function foldedEvents(leadId: string): Promise<number | undefined> {
  const found = await call('GET', `/v1/leads/${leadId}`);
  return found.status === 200 ? (found.body.state?.counters?.events as number) : undefined;
}

/** Why each send of the lead's that took more than one attempt was retried: the timeout that ended the attempt before. */
async function retriedSends(leadId: string): Promise<string[]> {
  const events = (await client.workflow.getHandle(leadWorkflowId(leadId)).fetchHistory()).events ?? [];
  const sends = new Set(events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverTouch').map((event) => String(event.eventId)));
  return events.flatMap((event) => {
    const started = event.activityTaskStartedEventAttributes;
    if (!started || !sends.has(String(started.scheduledEventId)) || (started.attempt ?? 1) <= 1) return [];
    const timeout = started.lastFailure?.timeoutFailureInfo?.timeoutType;
    return [timeout === temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT ? 'heartbeat' : `not a heartbeat timeout: ${started.lastFailure?.message}`];
  });
}

/** The patch of the next version's change (test/replay/variants/guarded.ts). */
const NEW_VERSION_PATCH = 'replay-proof';

/** The SMTP server's messages as copies per Message-ID, with each copy's arrival time. */
async function copiesByMessageId(): Promise<Map<string, { to: string; at: number }[]>> {
  const copies = new Map<string, { to: string; at: number }[]>();
  (await sink.messages()).forEach((mail, index) => {
    const list = copies.get(mail.messageId!) ?? [];
    list.push({ to: [mail.to].flat()[0]!.value[0]!.address!, at: arrivals[index]! });
    copies.set(mail.messageId!, list);
  });
  return copies;
}

beforeAll(async () => {
  // The parts migrate the engine's database and seed the key themselves.
  servers = await startTestCluster();
  ({ cluster, postgres, dataDir, pool: engineDb } = servers);
  connection = await Connection.connect({ address: cluster.address });
  client = new Client({ connection, namespace: cluster.namespace });
  sink = await startSmtpSink();
  sink.hooks.onMailFrom = () => new Promise((resolve) => setTimeout(resolve, SEND_DELAY_MS));
  sink.hooks.onMessage = () => void arrivals.push(Date.now());
  // Bundled once, as the production image does: a worker that comes back is polling in seconds.
  const bundle = path.join(dataDir, 'workflow-bundle.js');
  await fs.writeFile(bundle, (await bundleLeadWorkflows()).code);
  // The next version: a change to the lead workflow, guarded by a patch as every change must be.
  patchedBundle = path.join(dataDir, 'workflow-bundle-patched.js');
  await fs.writeFile(patchedBundle, (await bundleLeadWorkflows({ workflowsPath: require.resolve('../replay/variants/guarded') })).code);
  env = deploymentEnvironment({ databaseUrl: postgres.url, temporalAddress: cluster.address, namespace: cluster.namespace, apiKey: adminKey, smtpUrl: sink.url, workflowBundle: bundle });
  // The first migrates the database; the others then find it current.
  workers.push(await startPart('worker'));
  const more = await Promise.all([startPart('worker'), ...[0, 1].map(async () => {
    const port = await getFreePort();
    apiUrls.push(`http://127.0.0.1:${port}`);
    return startPart('api', { PORT: String(port) });
  })]);
  workers.push(more[0]!);
  apis.push(...more.slice(1));
}, 10 * 60_000);

afterAll(async () => {
  await connection?.close();
  // Each part stops cleanly on SIGTERM, as a deployment stops it.
  const stops = await Promise.all([...apis, ...workers].map((part) => stopPart(part)));
  expect(stops.filter((stop) => stop.code !== 0)).toEqual([]);
  await sink?.close();
  await servers?.stop();
}, 60_000);

it('folds every event once and in order through two APIs, and sends every first email once while workers are killed -9', async () => {
  const leads = Array.from({ length: 16 }, (_, n) => ({ id: touchableLeadId(), email: `lead${n}@northwind.example`, firstName: 'Ana', company: 'Northwind', source: 'search' }));
  for (const lead of leads) expect((await call('POST', '/v1/leads', lead)).status).toBe(201);

  // Each lead's events one after another, alternately through the two APIs; the leads side by side.
  const PAGES = 4;
  const ingestion = Promise.all(
    leads.map(async (lead, n) => {
      for (let page = 1; page <= PAGES; page++) expect((await call('POST', '/v1/events', pageView(lead.id, page), apiUrls[(n + page) % 2])).status).toBe(202);
    }),
  );

  // Three kills, each once more mail has arrived: the worker's sends and folds in flight die with it.
  const kills: number[] = [];
  for (const [cycle, after] of [3, 7, 11].entries()) {
    await eventually(async () => sink.received.length >= after || undefined, 120_000);
    const index = cycle % workers.length;
    kills.push(Date.now());
    await killPart(workers[index]!);
    workers[index] = await startPart('worker');
  }
  await ingestion;

  for (const lead of leads) {
    await eventually(async () => ((await foldedEvents(lead.id)) === PAGES ? true : undefined), 120_000);
    expect(await signalledPages(client, lead.id)).toEqual(Array.from({ length: PAGES }, (_, n) => `https://northwind.example/blog/${n + 1}`));
  }

  // Every lead's welcome email arrived. A second copy is the same message (one Message-ID), of one
  // the SMTP server accepted before a kill took its sender before it marked the send done.
  const copies = await eventually(async () => {
    const found = await copiesByMessageId();
    return leads.every((lead) => [...found.values()].some((list) => list[0]!.to === lead.email)) ? found : undefined;
  }, 120_000);
  const messages = [...copies.values()].filter((list) => /^lead\d+@/.test(list[0]!.to));
  expect(messages.map((list) => list[0]!.to).sort()).toEqual(leads.map((lead) => lead.email).sort());
  for (const [first, second, ...more] of messages.filter((copies) => copies.length > 1)) {
    expect(more).toEqual([]);
    expect(kills.some((at) => first!.at <= at && at <= second!.at)).toBe(true);
  }
  // A send that died with its worker was retried once its heartbeats stopped (send-heartbeat), not
  // after its whole start-to-close timeout.
  const retried = (await Promise.all(leads.map((lead) => retriedSends(lead.id)))).flat();
  expect(retried.length).toBeGreaterThan(0);
  expect(retried).toEqual(retried.map(() => 'heartbeat'));
  for (const worker of workers) expect(worker.output()).not.toMatch(/nondeterminis/i);
}, 5 * 60_000);

it('answers 202 while the history service is down and folds the backlog once it is back', async () => {
  const leads = Array.from({ length: 6 }, (_, n) => ({ id: touchableLeadId(), email: `quiet${n}@contoso.example`, company: 'Contoso' }));
  for (const lead of leads) expect((await call('POST', '/v1/leads', lead)).status).toBe(201);
  await Promise.all(leads.map((lead) => eventually(async () => ((await foldedEvents(lead.id)) === 0 ? true : undefined))));

  await cluster.stopService('history');
  for (const lead of leads) for (const page of [1, 2]) expect((await call('POST', '/v1/events', pageView(lead.id, page))).status).toBe(202);
  // Stored, and waiting: no workflow can take them while history is down.
  const pending = () => engineDb.query<{ count: number }>('SELECT count(*)::int AS count FROM events WHERE lead_id = ANY($1) AND delivered_at IS NULL', [leads.map((lead) => lead.id)]);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect((await pending()).rows[0]!.count).toBe(leads.length * 2);
  await cluster.startService('history');

  for (const lead of leads) {
    await eventually(async () => ((await foldedEvents(lead.id)) === 2 ? true : undefined), 60_000);
    expect(await signalledPages(client, lead.id)).toEqual(['https://northwind.example/blog/1', 'https://northwind.example/blog/2']);
  }
  expect((await pending()).rows[0]!.count).toBe(0);
}, 3 * 60_000);

it('rolls a new worker version out while leads run, one worker at a time, with no non-determinism', async () => {
  const running = Array.from({ length: 4 }, (_, n) => ({ id: touchableLeadId(), email: `roll${n}@fabrikam.example`, company: 'Fabrikam' }));
  for (const lead of running) expect((await call('POST', '/v1/leads', lead)).status).toBe(201);
  await Promise.all(running.map((lead) => eventually(async () => ((await foldedEvents(lead.id)) === 0 ? true : undefined))));

  // As an orchestrator rolls a deployment: each worker stopped (SIGTERM) and started on the new bundle.
  for (const index of workers.keys()) {
    expect((await stopPart(workers[index]!)).code).toBe(0);
    workers[index] = await startPart('worker', { NURTURE_WORKFLOW_BUNDLE: patchedBundle });
  }

  // The leads that started on the old version go on under the new one.
  for (const lead of running) expect((await call('POST', '/v1/events', pageView(lead.id, 1))).status).toBe(202);
  for (const lead of running) await eventually(async () => ((await foldedEvents(lead.id)) === 1 ? true : undefined), 60_000);
  // A lead that starts now takes the new path, and its history says so.
  const fresh = touchableLeadId();
  expect((await call('POST', '/v1/leads', { id: fresh, email: 'new@fabrikam.example' })).status).toBe(201);
  await eventually(async () => ((await patchesOf(client, fresh)).includes(NEW_VERSION_PATCH) ? true : undefined));
  for (const lead of running) expect(await patchesOf(client, lead.id)).not.toContain(NEW_VERSION_PATCH);
  for (const worker of workers) expect(worker.output()).not.toMatch(/nondeterminis/i);
}, 3 * 60_000);
