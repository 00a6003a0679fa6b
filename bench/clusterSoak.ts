// bench/clusterSoak: kill -9 of a worker, over and over, on the four-service cluster. Two `nurture api`
// and two `nurture worker` processes, a real SMTP server on loopback. Each cycle posts new leads (a
// welcome email each, unless in the holdout) and page views through both APIs, lets the work get
// under way, SIGKILLs one worker and starts it again. Then it waits for everything to drain and
// prints one JSON object: what was posted, folded, sent, lost and duplicated, how long after the
// SMTP server accepted a duplicated message its sender was killed (the window the README states),
// and how long a killed worker took to come back. Progress goes to stderr.
//   BENCH_SOAK_CYCLES (50), BENCH_SOAK_LEADS new leads per cycle (4), BENCH_SOAK_EVENTS page views
//   per lead (3), BENCH_SOAK_SEND_DELAY_MS each send's wait at the SMTP server before it is taken (100).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { simpleParser } from 'mailparser';
import { getFreePort } from '../app/net';
import { installQuietRuntime } from '../app/telemetry';
import { isHoldout } from '../core/model/hash';
import { startCluster } from '../devstack/cluster';
import { signalledPages } from '../devstack/leadHistory';
import { deploymentEnvironment, killPart, startPart, stopPart, type PartProcess } from '../devstack/parts';
import { startTestPostgres } from '../devstack/postgres';
import { startSmtpServer } from '../devstack/smtpSink';
import { defaultCatalog } from '../sequences/library';
import { bundleLeadWorkflows } from '../workers/bundle';

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CYCLES = setting('BENCH_SOAK_CYCLES', 50);
const LEADS_PER_CYCLE = setting('BENCH_SOAK_LEADS', 4);
const EVENTS_PER_LEAD = setting('BENCH_SOAK_EVENTS', 3);
const SEND_DELAY_MS = setting('BENCH_SOAK_SEND_DELAY_MS', 100);
/** A killed worker's sends wait out their one-minute start-to-close timeout before a retry. */
const DRAIN_TIMEOUT_MS = 5 * 60_000;
const KEY = `soak-admin-${randomUUID()}`;

const log = (line: string) => process.stderr.write(`[bench/clusterSoak] ${line}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)!, n: sorted.length } : { n: 0 };
};

async function main(): Promise<void> {
  installQuietRuntime();
  const began = Date.now();
  // Undone in reverse order however far the start got.
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await soak(cleanups);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: Error) => log(`cleanup: ${err.message}`));
  }
  log(`done in ${Math.round((Date.now() - began) / 1_000)} s`);
}

async function soak(cleanups: (() => Promise<unknown>)[]): Promise<void> {
  const began = Date.now();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'nurture-soak-'));
  cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
  const postgres = await startTestPostgres();
  cleanups.push(() => postgres.stop());
  const cluster = await startCluster({ postgres: postgres.url, dataDir });
  cleanups.push(() => cluster.stop());
  const arrivals: { raw: Buffer; at: number }[] = [];
  /** Each arrival's recipients and Message-ID, parsed once. */
  const parsed: { to: string[]; messageId: string }[] = [];
  const parseArrivals = async () => {
    for (const { raw } of arrivals.slice(parsed.length)) {
      const mail = await simpleParser(raw);
      parsed.push({ to: [mail.to].flat().flatMap((to) => to?.value.map((address) => address.address!) ?? []), messageId: mail.messageId ?? randomUUID() });
    }
  };
  const smtp = await startSmtpServer({ onMailFrom: () => sleep(SEND_DELAY_MS), onMessage: (raw) => void arrivals.push({ raw, at: Date.now() }) });
  cleanups.push(() => smtp.close());
  const bundle = path.join(dataDir, 'workflow-bundle.js');
  await fs.writeFile(bundle, (await bundleLeadWorkflows()).code);
  const env = deploymentEnvironment({ databaseUrl: postgres.url, temporalAddress: cluster.address, namespace: cluster.namespace, apiKey: KEY, smtpUrl: smtp.url, workflowBundle: bundle });
  const apiUrls = await Promise.all([0, 1].map(async () => `http://127.0.0.1:${await getFreePort()}`));
  const parts: PartProcess[] = [];
  cleanups.push(() => Promise.all(parts.map((part) => stopPart(part))));
  const started = (part: PartProcess) => (parts.push(part), part);
  // The first worker migrates the database; the others find it current.
  const workers: PartProcess[] = [started(await startPart('worker', env))];
  workers.push(started(await startPart('worker', env)));
  for (const url of apiUrls) started(await startPart('api', { ...env, PORT: new URL(url).port }));
  const connection = await Connection.connect({ address: cluster.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: cluster.namespace });

  let turn = 0;
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${apiUrls[turn++ % apiUrls.length]}${route}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as Record<string, any> | undefined };
  };

  const leads: { id: string; email: string }[] = [];
  const kills: number[] = [];
  const restartMs: number[] = [];
  let refused = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const fresh = Array.from({ length: LEADS_PER_CYCLE }, (_, n) => ({ id: `lead-${randomUUID()}`, email: `soak${cycle}-${n}@northwind.example` }));
    leads.push(...fresh);
    for (const lead of fresh) if ((await call('POST', '/v1/leads', { ...lead, firstName: 'Ana', company: 'Northwind', source: 'search' })).status !== 201) refused++;
    // Each lead's page views one after another, the leads side by side, while the kill lands.
    const ingestion = Promise.all(
      fresh.map(async (lead) => {
        for (let page = 1; page <= EVENTS_PER_LEAD; page++) {
          const event = { eventId: randomUUID(), leadId: lead.id, type: 'page_view', occurredAt: new Date().toISOString(), properties: { url: `https://northwind.example/blog/${page}`, category: 'blog' } };
          if ((await call('POST', '/v1/events', event)).status !== 202) refused++;
        }
      }),
    );
    // The kill lands at a different point of the work each cycle: 0 to 900 ms in.
    await sleep((cycle * 173) % 1_000);
    const index = cycle % workers.length;
    kills.push(Date.now());
    await killPart(workers[index]!);
    const restarting = Date.now();
    workers[index] = started(await startPart('worker', env));
    restartMs.push(Date.now() - restarting);
    await ingestion;
    log(`cycle ${cycle + 1}/${CYCLES}: ${leads.length} leads, ${arrivals.length} emails so far`);
  }

  const drainBegan = Date.now();
  const folded = new Map<string, number>();
  const { holdoutPercent } = defaultCatalog().model;
  const expectedEmails = new Set(leads.filter((lead) => !isHoldout(lead.id, holdoutPercent)).map((lead) => lead.email));
  const delivered = new Set<string>();
  while (Date.now() - drainBegan < DRAIN_TIMEOUT_MS) {
    for (const lead of leads.filter((lead) => folded.get(lead.id) !== EVENTS_PER_LEAD)) {
      folded.set(lead.id, (await call('GET', `/v1/leads/${lead.id}`)).body?.state?.counters?.events ?? 0);
    }
    await parseArrivals();
    for (const { to } of parsed) to.forEach((address) => delivered.add(address));
    if ([...folded.values()].every((count) => count === EVENTS_PER_LEAD) && [...expectedEmails].every((email) => delivered.has(email))) break;
    await sleep(2_000);
  }
  const drainSeconds = Math.round((Date.now() - drainBegan) / 100) / 10;

  // Order: the page views each lead's workflow was signalled, each event once, in the order posted.
  const posted = Array.from({ length: EVENTS_PER_LEAD }, (_, n) => `https://northwind.example/blog/${n + 1}`).join();
  let outOfOrder = 0;
  for (const lead of leads) if ((await signalledPages(client, lead.id)).join() !== posted) outOfOrder++;

  // Duplicates: copies of one Message-ID, and how long before a kill the SMTP server took the first.
  await parseArrivals();
  const copies = new Map<string, number[]>();
  parsed.forEach(({ messageId }, index) => copies.set(messageId, [...(copies.get(messageId) ?? []), arrivals[index]!.at]));
  const duplicated = [...copies.values()].filter((times) => times.length > 1);
  const windows = duplicated.map(([first, second]) => (kills.find((at) => first! <= at && at <= second!) ?? NaN) - first!);
  const eventsFolded = [...folded.values()].reduce((sum, count) => sum + count, 0);
  console.log(
    JSON.stringify({
      cycles: CYCLES,
      leads: leads.length,
      eventsPosted: leads.length * EVENTS_PER_LEAD,
      eventsFolded,
      eventsLost: leads.length * EVENTS_PER_LEAD - eventsFolded,
      leadsOutOfOrder: outOfOrder,
      requestsRefused: refused,
      emailsExpected: expectedEmails.size,
      emailsDelivered: [...expectedEmails].filter((email) => delivered.has(email)).length,
      messagesReceived: arrivals.length,
      duplicatedMessages: duplicated.length,
      duplicateWindowMs: summary(windows),
      duplicatesWithoutAKillBetween: windows.filter((window) => Number.isNaN(window)).length,
      workerRestartMs: summary(restartMs),
      drainSeconds,
      wallSeconds: Math.round((Date.now() - began) / 1_000),
    }),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench/clusterSoak: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
