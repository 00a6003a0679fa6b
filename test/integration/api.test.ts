// The HTTP API over real HTTP, against the real dev server and PostgreSQL: auth and scopes, bad
// input that writes nothing, deduplicated ingestion, events reaching the lead's workflow, handoff
// actions, and events posted while Temporal is down delivered in order once it is back.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Pool } from 'pg';
import twilio from 'twilio';
import { EventRelay } from '../../api/relay';
import { consentHistory } from '../../db/repositories/consent';
import { storeEvents } from '../../db/repositories/events';
import type { Scope } from '../../api/plugins/auth';
import { createApiKey } from '../../db/repositories/apiKeys';
import { signToken, type LinkToken } from '../../channels/tokens';
import type { LeadEvent } from '../../core/model/events';
import { createKey } from '../../cli/apiClient';
import { runImport } from '../../cli/import';
import { getFreePort } from '../../app/net';
import { startDevServer } from '../../devstack/temporal';
import { leadWorkflowId } from '../../workflows/contract';
import { LEAD_SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { useIntegrationServers } from '../support/integrationServers';
import { signalledEvents } from '../../devstack/leadHistory';
import { anyHourCatalog, eventually, historyText, withWorkers } from '../support/harness';
import { callApi, withApi as withTestApi, type TestApiOptions } from '../support/api';

const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;
let pool: Pool, nativeConnection: NativeConnection, client: Client;
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });

/** The API on a free loopback port, with its relay, for the length of `body`. */
const withApi = <T>(options: Omit<TestApiOptions, 'pool'>, body: Parameters<typeof withTestApi<T>>[1]) => withTestApi({ pool, ...options }, body);
const call = callApi;

const pageView = (leadId: string, url = 'https://example.com/pricing', eventId: string = randomUUID()): LeadEvent => ({
  eventId,
  leadId,
  type: 'page_view',
  occurredAt: new Date().toISOString(),
  properties: { url, category: 'pricing' },
});

const eventCount = async (leadId: string) => Number((await pool.query('SELECT count(*) FROM events WHERE lead_id = $1', [leadId])).rows[0].count);

const productionLeadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) =>
  engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle });

describe('access', () => {
  it('answers 401 without a key or with an unknown one, 403 without the scope, and serves a key with it', async () => {
    const { secret: ingestKey } = await createApiKey(pool, 'site tracker', ['ingest'] as Scope[]);
    await withApi({ client }, async ({ url }) => {
      expect((await call(`${url}/v1/handoffs`, 'GET', undefined)).status).toBe(401);
      expect((await call(`${url}/v1/handoffs`, 'GET', 'nk_not-a-key')).status).toBe(401);
      const forbidden = await call(`${url}/v1/handoffs`, 'GET', ingestKey);
      expect(forbidden).toMatchObject({ status: 403, body: { error: 'this key lacks the sales scope', details: [{ path: 'authorization' }] } });
      expect((await call(`${url}/v1/events`, 'POST', ingestKey, pageView(`lead-${randomUUID()}`))).status).toBe(202);
      expect((await call(`${url}/v1/handoffs`, 'GET', adminKey)).status).toBe(200);
      const made = await createKey('crm sync', ['sales'], { api: url, key: adminKey });
      expect((await call(`${url}/v1/handoffs`, 'GET', made.secret)).status).toBe(200);
      expect((await call(`${url}/v1/events`, 'POST', made.secret, pageView(`lead-${randomUUID()}`))).status).toBe(403);
      await expect(createKey('escalation', ['admin'], { api: url, key: made.secret })).rejects.toThrow('this key lacks the admin scope');
      await expect(createKey('typo', ['sale'], { api: url, key: adminKey })).rejects.toThrow(/body\.scopes\.0/);
      expect((await call(`${url}/healthz`, 'GET', undefined)).status).toBe(200);
      expect(await call(`${url}/readyz`, 'GET', undefined)).toMatchObject({ status: 200, body: { checks: { postgres: true, temporal: true } } });
    });
  });
});

describe('browsers (CORS)', () => {
  const site = 'https://www.example.com';
  /** What a browser asks before a cross-origin POST with a key and a JSON body. */
  const preflight = (url: string, origin: string) =>
    fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
  const postEvent = (url: string, origin: string, key: string | undefined) =>
    fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(pageView(`lead-${randomUUID()}`)),
    });

  it('lets a configured origin post events, and only events', async () => {
    const { secret: ingestKey } = await createApiKey(pool, 'site tracker', ['ingest'] as Scope[]);
    await withApi({ client, corsOrigins: [site] }, async ({ url }) => {
      // The preflight carries no key and is answered all the same.
      const allowed = await preflight(`${url}/v1/events`, site);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(site);
      expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');
      expect(allowed.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, x-request-id');

      const posted = await postEvent(url, site, ingestKey);
      expect(posted.status).toBe(202);
      expect(posted.headers.get('access-control-allow-origin')).toBe(site);
      // The page may read the request's correlation id, to quote it in a support ticket.
      expect(posted.headers.get('access-control-expose-headers')).toBe('x-request-id');
      // A page can read why its post failed.
      const unauthorized = await postEvent(url, site, undefined);
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.headers.get('access-control-allow-origin')).toBe(site);

      const stranger = await preflight(`${url}/v1/events`, 'https://elsewhere.example');
      expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
      expect((await postEvent(url, 'https://elsewhere.example', ingestKey)).headers.get('access-control-allow-origin')).toBeNull();

      const otherRoute = await preflight(`${url}/v1/leads`, site);
      expect(otherRoute.status).toBe(404);
      expect(otherRoute.headers.get('access-control-allow-origin')).toBeNull();
      const read = await fetch(`${url}/v1/leads`, { headers: { origin: site, authorization: `Bearer ${adminKey}` } });
      expect(read.status).toBe(200);
      expect(read.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  it('lets any origin post events with *, and no origin when none is configured', async () => {
    await withApi({ client, corsOrigins: '*' }, async ({ url }) => {
      expect((await preflight(`${url}/v1/events`, 'https://anywhere.example')).headers.get('access-control-allow-origin')).toBe('*');
    });
    await withApi({ client }, async ({ url }) => {
      const refused = await preflight(`${url}/v1/events`, site);
      expect(refused.status).toBe(404);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      expect((await postEvent(url, site, adminKey)).headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});

describe('bad input', () => {
  it('says what is wrong and where, and writes nothing', async () => {
    const leadId = `lead-${randomUUID()}`;
    await withApi({ client }, async ({ url }) => {
      const malformed = await call(`${url}/v1/events`, 'POST', adminKey, undefined, '{"eventId": ');
      expect(malformed).toMatchObject({ status: 400, body: { error: 'malformed JSON', details: [{ path: 'body' }] } });

      const unknownType = await call(`${url}/v1/events`, 'POST', adminKey, { ...pageView(leadId), type: 'page_viewed' });
      expect(unknownType.status).toBe(400);
      expect(unknownType.body.details.map((d: { path: string }) => d.path)).toContain('body.type');

      const wrongType = await call(`${url}/v1/events`, 'POST', adminKey, { events: [pageView(leadId), { ...pageView(leadId), occurredAt: 12 }] });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.details.map((d: { path: string }) => d.path)).toContain('body.events.1.occurredAt');

      const oversized = await call(`${url}/v1/events`, 'POST', adminKey, { events: Array.from({ length: 1_001 }, () => pageView(leadId)) });
      expect(oversized).toMatchObject({ status: 400, body: { details: [{ path: 'body.events' }] } });

      const badLead = await call(`${url}/v1/leads`, 'POST', adminKey, { id: leadId, email: 'not-an-address', timezone: 'Mars/Olympus' });
      expect(badLead.status).toBe(400);
      expect(badLead.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.email', 'body.timezone']);

      expect(await call(`${url}/v1/leads/${leadId}`, 'GET', adminKey)).toMatchObject({ status: 404, body: { details: [{ path: 'params.id' }] } });
      expect(await eventCount(leadId)).toBe(0);
      expect((await pool.query('SELECT 1 FROM leads WHERE id = $1', [leadId])).rowCount).toBe(0);
    });
  });

  it('stores SQL-looking strings as data', async () => {
    // An id like this is refused by the id charset (hostileInput.test.ts); in a property it is data.
    const leadId = `lead-${randomUUID()}`;
    await withApi({ client }, async ({ url }) => {
      const posted = await call(`${url}/v1/events`, 'POST', adminKey, { ...pageView(leadId), properties: { url: 'https://example.com/?q=1%27%20OR%201=1', category: 'pricing', note: "' OR 1=1 --" } });
      expect(posted).toEqual({ status: 202, body: { accepted: 1, duplicates: 0, erased: 0 } });
      const { rows } = await pool.query('SELECT lead_id, properties FROM events WHERE lead_id = $1', [leadId]);
      expect(rows).toEqual([{ lead_id: leadId, properties: expect.objectContaining({ note: "' OR 1=1 --" }) }]);
    });
  });
});

describe('ingestion', () => {
  it('counts a repeated event id once and folds every event into the lead workflow', async () => {
    const leadId = `lead-${randomUUID()}`;
    await withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, async ({ taskQueue }) => {
      await withApi({ client, taskQueue }, async ({ url }) => {
        const created = await call(`${url}/v1/leads`, 'POST', adminKey, { id: leadId, email: 'kim@northwind.example', title: 'Operations Analyst', timezone: 'Europe/Berlin' });
        expect(created).toEqual({ status: 201, body: { id: leadId, created: true } });
        const batch = [pageView(leadId, 'https://example.com/docs/a'), pageView(leadId, 'https://example.com/docs/b'), pageView(leadId, 'https://example.com/docs/c')];
        expect(await call(`${url}/v1/events`, 'POST', adminKey, { events: [...batch, batch[0]] })).toEqual({ status: 202, body: { accepted: 3, duplicates: 1, erased: 0 } });
        expect(await call(`${url}/v1/events`, 'POST', adminKey, { events: batch })).toEqual({ status: 202, body: { accepted: 0, duplicates: 3, erased: 0 } });
        const metrics = await (await fetch(`${url}/metrics`)).text();
        expect(metrics).toContain('nurture_events_ingested_total{outcome="accepted"} 3');
        expect(metrics).toContain('nurture_events_ingested_total{outcome="duplicate"} 4');
        expect(metrics).toMatch(/nurture_http_request_duration_seconds_count\{method="POST",route="\/v1\/events",status="202"\} 2/);

        const lead = await eventually(async () => {
          const read = await call(`${url}/v1/leads/${leadId}`, 'GET', adminKey);
          return read.body?.state?.counters?.events === 3 ? read.body : undefined;
        });
        expect(lead).toMatchObject({ id: leadId, profile: { email: 'kim@northwind.example', timezone: 'Europe/Berlin' }, state: { leadId, stage: expect.any(String) } });
        expect(lead.state.scores).toEqual(expect.objectContaining({ total: expect.any(Number) }));
        expect(await eventCount(leadId)).toBe(3);
      });
    });
  });

  it('delivers the events posted while Temporal is down, once each and in order per lead, after it restarts', async () => {
    const dbFilename = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-outage-')), 'temporal.db');
    const port = await getFreePort();
    const start = () => startDevServer({ dbFilename, port, searchAttributes: LEAD_SEARCH_ATTRIBUTES });
    let server = await start();
    const outageConnection = await Connection.connect({ address: server.address });
    const outageClient = new Client({ connection: outageConnection });
    const leads = [`lead-${randomUUID()}`, `lead-${randomUUID()}`];
    try {
      await withApi({ client: outageClient }, async ({ url }) => {
        await server.stop();
        const posted = leads.flatMap((leadId) => [1, 2, 3, 4].map((n) => pageView(leadId, `https://example.com/docs/${n}`)));
        expect(await call(`${url}/v1/events`, 'POST', adminKey, { events: posted.slice(0, 5) })).toEqual({ status: 202, body: { accepted: 5, duplicates: 0, erased: 0 } });
        expect(await call(`${url}/v1/events`, 'POST', adminKey, { events: posted.slice(5) })).toEqual({ status: 202, body: { accepted: 3, duplicates: 0, erased: 0 } });
        const pending = await pool.query('SELECT count(*) FROM events WHERE lead_id = ANY($1) AND delivered_at IS NULL', [leads]);
        expect(Number(pending.rows[0].count)).toBe(8);

        server = await start();
        // No worker is needed: what the relay delivered is in each workflow's history, in order.
        await eventually(async () => {
          const { rows } = await pool.query('SELECT count(*) FROM events WHERE lead_id = ANY($1) AND delivered_at IS NULL', [leads]);
          return Number(rows[0].count) === 0 || undefined;
        }, 60_000);
        // What each lead's workflow received, in the order it received it.
        for (const leadId of leads) {
          const signals = await signalledEvents(outageClient, leadId);
          expect(signals.flat().map((event) => event.properties.url)).toEqual([1, 2, 3, 4].map((n) => `https://example.com/docs/${n}`));
        }
      });
    } finally {
      await outageConnection.close();
      await server.stop();
    }
  }, 120_000);

  it('delivers the events stored while a delivery to the same lead is under way, without waiting for the sweep', async () => {
    const leadId = `lead-${randomUUID()}`;
    const { gated, firstSignalEntered, release } = gatedClient();
    // No sweep: what the relay does not deliver itself stays pending.
    const relay = new EventRelay(pool, gated);
    const [first, second] = [pageView(leadId, 'https://example.com/docs/1'), pageView(leadId, 'https://example.com/docs/2')];
    await relay.accept([first]);
    await firstSignalEntered;
    await relay.accept([second]);
    release();
    await relay.stop();

    const { rows } = await pool.query('SELECT count(*)::int AS pending FROM events WHERE lead_id = $1 AND delivered_at IS NULL', [leadId]);
    expect(rows[0].pending).toBe(0);
    expect((await signalledEvents(client, leadId)).map((signal) => signal.map((event) => event.eventId))).toEqual([[first.eventId], [second.eventId]]);
    await client.workflow.getHandle(leadWorkflowId(leadId)).terminate('test over');
  });

  it('answers requests stored together each for its own events: a repeated id is the later one’s duplicate, and a value PostgreSQL refuses fails only its request', async () => {
    const [leadA, leadB, leadC] = [`lead-${randomUUID()}`, `lead-${randomUUID()}`, `lead-${randomUUID()}`];
    const relay = new EventRelay(pool, client, { start: { taskQueue: `no-worker-${randomUUID()}` } });
    const [a1, b1, a2] = [pageView(leadA, 'https://example.com/a1'), pageView(leadB), pageView(leadA, 'https://example.com/a2')];
    // Other doors than the API's (webhooks, tracking links) hand events in unchecked by its schema.
    const refused = { ...pageView(leadC), properties: { url: 'https://example.com/\u0000' } } as LeadEvent;
    // Asked at once, they are stored in one statement.
    const [first, second, third] = await Promise.allSettled([relay.accept([a1, b1]), relay.accept([{ ...a1 }, a2]), relay.accept([refused])]);
    await relay.stop();

    expect(first).toEqual({ status: 'fulfilled', value: { accepted: 2, duplicates: 0, erased: 0, leadIds: [leadA, leadB] } });
    expect(second).toEqual({ status: 'fulfilled', value: { accepted: 1, duplicates: 1, erased: 0, leadIds: [leadA] } });
    expect(third).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/unsupported Unicode escape sequence/) } });
    expect((await signalledEvents(client, leadA)).flat().map((event) => event.eventId)).toEqual([a1.eventId, a2.eventId]);
    expect((await signalledEvents(client, leadB)).flat().map((event) => event.eventId)).toEqual([b1.eventId]);
    const { rows } = await pool.query('SELECT count(*)::int AS stored FROM events WHERE lead_id = $1', [leadC]);
    expect(rows[0].stored).toBe(0);
    await Promise.all([leadA, leadB].map((leadId) => client.workflow.getHandle(leadWorkflowId(leadId)).terminate('test over')));
  });

  it('drops, unsignalled and emptied, an event stored while its lead was being erased, and delivers the others of its round', async () => {
    const [erased, kept] = [`lead-${randomUUID()}`, `lead-${randomUUID()}`];
    const relay = new EventRelay(pool, client, { start: { taskQueue: `no-worker-${randomUUID()}` } });
    const [late, other] = [pageView(erased), pageView(kept)];
    await storeEvents(pool, [late, other]);
    // The erasure committed after the event's store, before its delivery.
    await pool.query('INSERT INTO leads (id, erased_at) VALUES ($1, now())', [erased]);
    await relay.deliver([erased, kept]);
    await relay.stop();

    const { rows } = await pool.query('SELECT event_id, properties, delivered_at IS NOT NULL AS done FROM events WHERE event_id = ANY($1) ORDER BY lead_id = $2', [[late.eventId, other.eventId], erased]);
    expect(rows).toEqual([
      { event_id: other.eventId, properties: other.properties, done: true },
      { event_id: late.eventId, properties: {}, done: true },
    ]);
    await expect(client.workflow.getHandle(leadWorkflowId(erased)).describe()).rejects.toThrow(/not found/i);
    expect((await signalledEvents(client, kept)).flat().map((event) => event.eventId)).toEqual([other.eventId]);
    await client.workflow.getHandle(leadWorkflowId(kept)).terminate('test over');
  });

  it('delivers an event another API process took while that one was delivering to the same lead, without waiting for the sweep', async () => {
    const leadId = `lead-${randomUUID()}`;
    const { gated, firstSignalEntered, release } = gatedClient();
    // Two API processes: each its own relay and its own database sessions; no sweep in either.
    const otherPool = new Pool({ connectionString: process.env.DATABASE_URL });
    const [processA, processB] = [new EventRelay(pool, gated), new EventRelay(otherPool, client)];
    try {
      const [first, second] = [pageView(leadId, 'https://example.com/docs/1'), pageView(leadId, 'https://example.com/docs/2')];
      await processA.accept([first]);
      await firstSignalEntered;
      await processB.accept([second]);
      release();
      await Promise.all([processA.stop(), processB.stop()]);
      const { rows } = await pool.query('SELECT count(*)::int AS pending FROM events WHERE lead_id = $1 AND delivered_at IS NULL', [leadId]);
      expect(rows[0].pending).toBe(0);
      expect((await signalledEvents(client, leadId)).map((signal) => signal.map((event) => event.eventId))).toEqual([[first.eventId], [second.eventId]]);
    } finally {
      await otherPool.end();
      await client.workflow.getHandle(leadWorkflowId(leadId)).terminate('test over').catch(() => undefined);
    }
  });
});

/** A client whose signals wait until `release`: the relay's first signal holds its lead's delivery while a test stores more. */
function gatedClient() {
  let entered!: () => void;
  const firstSignalEntered = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const gated = new Client({
    connection: client.connection,
    interceptors: { workflow: [{ signalWithStart: async (input, next) => (entered(), await released, next(input)) }] },
  });
  return { gated, firstSignalEntered, release };
}

describe('sales handoffs', () => {
  it('lists the task with its lead, shows its context, takes an accept, and answers 409 to a second action', async () => {
    const leadId = `lead-${randomUUID()}`;
    await pool.query("INSERT INTO reps (id, name) VALUES ($1, 'Robin')", [`rep-${randomUUID()}`]);
    await withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, async ({ taskQueue }) => {
      await withApi({ client, taskQueue }, async ({ url }) => {
        await call(`${url}/v1/leads`, 'POST', adminKey, { id: leadId, email: 'ana@northwind.example', title: 'VP Operations', industry: 'software', companySize: 300, country: 'DE' });
        await call(`${url}/v1/events`, 'POST', adminKey, { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} });

        const listed = await eventually(async () => {
          const list = await call(`${url}/v1/handoffs?status=open&limit=200`, 'GET', adminKey);
          return list.body.items.find((item: { leadId: string }) => item.leadId === leadId);
        });
        expect(listed).toMatchObject({ id: `handoff-${leadId}-1`, leadId, status: 'open' });
        const task = await call(`${url}/v1/handoffs/${listed.id}`, 'GET', adminKey);
        expect(task.body).toMatchObject({ leadId, context: { reason: 'demo request', profile: expect.objectContaining({ title: 'VP Operations' }) } });

        const accepted = await call(`${url}/v1/handoffs/${listed.id}/accept`, 'POST', adminKey, { by: 'robin' });
        expect(accepted).toMatchObject({ status: 200, body: { id: listed.id, status: 'accepted' } });
        const again = await call(`${url}/v1/handoffs/${listed.id}/reject`, 'POST', adminKey, { reasonCode: 'bad_timing' });
        expect(again).toMatchObject({ status: 409, body: { error: 'the handoff is already accepted' } });
        const badReason = await call(`${url}/v1/handoffs/${listed.id}/reject`, 'POST', adminKey, { reasonCode: 'too_busy' });
        expect(badReason).toMatchObject({ status: 400, body: { details: [{ path: 'body.reasonCode' }] } });
      });
    });
  });
});

describe('public links and webhooks', () => {
  const linkSecret = 'link-secret-for-tests-0123456789';
  const authToken = 'twilio-auth-token-for-tests';
  const publicUrl = 'https://nurture.example';

  /** The API with its public routes, and a sent email touch whose ledger row records one link. */
  async function withPublicApi(body: (api: { url: string; leadId: string; send: string; link: string }) => Promise<void>) {
    const leadId = `lead-${randomUUID()}`;
    const send = `lead-${leadId}/v1/welcome/1`;
    const link = 'https://example.com/guide?utm_source=nurture';
    await pool.query(
      `INSERT INTO sends (idempotency_key, lead_id, workflow_id, sequence_id, sequence_version, step_id, touch_number, channel, status, links)
       VALUES ($1, $2, $3, 'welcome', 'v1', 'welcome', 1, 'email', 'sent', $4)`,
      [send, leadId, leadWorkflowId(leadId), JSON.stringify([link])],
    );
    const publicRoutes = { linkSecret, publicUrl, twilio: { authToken, helpText: 'Nurture: reply STOP to opt out.', stopText: 'Nurture: no more texts.' } };
    await withApi({ client, public: publicRoutes }, ({ url }) => body({ url, leadId, send, link }));
  }
  const events = async (leadId: string) => (await pool.query('SELECT type, properties FROM events WHERE lead_id = $1 ORDER BY seq', [leadId])).rows;

  it('counts an open, redirects a click only to a recorded URL, and refuses forged tokens without writing anything', async () => {
    await withPublicApi(async ({ url, leadId, send, link }) => {
      const token = (kind: LinkToken['kind'], extra: Partial<LinkToken> = {}) => signToken({ kind, send, leadId, channel: 'email', ...extra }, linkSecret);
      const forged = signToken({ kind: 'open', send, leadId, channel: 'email' }, 'not-the-secret-at-all-000000');
      expect((await fetch(`${url}/t/o/${forged}`)).status).toBe(404);
      const tampered = token('click', { link: 0 }).replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
      expect((await fetch(`${url}/t/c/${tampered}`, { redirect: 'manual' })).status).toBe(404);
      expect((await fetch(`${url}/t/c/${token('click', { link: 3 })}`, { redirect: 'manual' })).status).toBe(404);
      expect(await events(leadId)).toEqual([]);

      const pixel = await fetch(`${url}/t/o/${token('open')}`);
      expect({ status: pixel.status, type: pixel.headers.get('content-type') }).toEqual({ status: 200, type: 'image/gif' });
      const click = await fetch(`${url}/t/c/${token('click', { link: 0 })}`, { redirect: 'manual' });
      expect({ status: click.status, location: click.headers.get('location') }).toEqual({ status: 302, location: link });
      expect(await events(leadId)).toEqual([
        { type: 'email_open', properties: { sendId: send } },
        { type: 'email_click', properties: { sendId: send, url: link } },
      ]);
    });
  });

  it('unsubscribes with one click (RFC 8058): the lead is suppressed before the answer', async () => {
    await withPublicApi(async ({ url, leadId, send }) => {
      const unsubscribe = `${url}/u/${signToken({ kind: 'unsubscribe', send, leadId, channel: 'email' }, linkSecret)}`;
      expect((await fetch(unsubscribe)).status).toBe(200);
      expect(await consentHistory(pool, leadId)).toEqual([]);
      const posted = await fetch(unsubscribe, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(posted.status).toBe(200);
      expect(await consentHistory(pool, leadId)).toEqual([expect.objectContaining({ channel: 'email', granted: false, source: 'link' })]);
      expect(await events(leadId)).toEqual([{ type: 'unsubscribe', properties: { channel: 'email' } }]);
    });
  });

  it('refuses an unsigned Twilio webhook and takes a signed STOP', async () => {
    await withPublicApi(async ({ url, leadId }) => {
      const phone = `+1415555${String(Math.floor(Math.random() * 9000) + 1000)}`;
      await pool.query('INSERT INTO leads (id, phone) VALUES ($1, $2)', [leadId, phone]);
      const params = { MessageSid: `SM${randomUUID().replace(/-/g, '')}`, From: phone, To: '+14155550000', Body: 'STOP' };
      const post = (signature?: string) =>
        fetch(`${url}/webhooks/twilio/inbound`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
          body: new URLSearchParams(params).toString(),
        });
      expect((await post()).status).toBe(403);
      expect((await post(twilio.getExpectedTwilioSignature('another-token', `${publicUrl}/webhooks/twilio/inbound`, params))).status).toBe(403);
      expect(await consentHistory(pool, leadId)).toEqual([]);

      const signed = await post(twilio.getExpectedTwilioSignature(authToken, `${publicUrl}/webhooks/twilio/inbound`, params));
      expect(signed.status).toBe(200);
      expect(await consentHistory(pool, leadId)).toEqual([expect.objectContaining({ channel: 'sms', granted: false, source: 'sms_stop' })]);
    });
  });
});

describe('CSV import', () => {
  it('imports the valid rows, reports each bad one by line and field, and applies a lead’s rows in order', async () => {
    const prefix = `imp-${randomUUID().slice(0, 8)}`;
    const csv = [
      'id,E-mail,First Name,Company,companySize,Country,Plan',
      `${prefix}-1,ana@northwind.example,Ana,Northwind,300,DE,pro`,
      `${prefix}-2,not-an-email,Bo,Acme,12,US,free`,
      `${prefix}-3,cy@quote.example,Cy,"Quote, Inc",many,GB,free`,
      `${prefix}-4,dee@initech.example,Dee,Initech,50,USA,free`,
      `${prefix}-5,"unclosed,Eve,Evil Corp,1,US,free`,
    ].join('\n');
    // The unclosed quote swallows the rest of the file: one bad row, reported, and the last good row goes with it.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'import-')), 'leads.csv');
    fs.writeFileSync(file, `${csv}\n${prefix}-1,ana@northwind.example,Ana,Northwind,350,DE,enterprise\n`);
    const good = path.join(path.dirname(file), 'good.csv');
    fs.writeFileSync(good, [csv.split('\n')[0], `${prefix}-1,ana@northwind.example,Ana,Northwind,300,DE,pro`, `${prefix}-1,ana@northwind.example,Ana,Northwind,350,DE,enterprise`].join('\n'));

    await withApi({ client }, async ({ url }) => {
      const result = await runImport(file, { api: url, key: adminKey, mapping: '{"email":"E-mail"}' });
      expect(result).toMatchObject({ imported: 1, updated: 0 });
      expect(result.failed.map(({ row, field }) => ({ row, field }))).toEqual([
        { row: 3, field: 'email' },
        { row: 4, field: 'companySize' },
        { row: 5, field: 'country' },
        { row: 7, field: 'row' },
      ]);
      expect(await runImport(good, { api: url, key: adminKey, mapping: '{"email":"E-mail"}' })).toEqual({ imported: 0, updated: 2, failed: [] });
      const { rows } = await pool.query('SELECT id, email, first_name, company, company_size, attributes FROM leads WHERE id LIKE $1 ORDER BY id', [`${prefix}-%`]);
      expect(rows).toEqual([{ id: `${prefix}-1`, email: 'ana@northwind.example', first_name: 'Ana', company: 'Northwind', company_size: 350, attributes: { Plan: 'enterprise' } }]);

      const badMapping = await fetch(`${url}/v1/leads/import?mapping=${encodeURIComponent('{"emial":"E-mail"}')}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv' },
        body: 'id\nx',
      });
      expect(badMapping.status).toBe(400);
      expect(((await badMapping.json()) as { details: { path: string }[] }).details[0]!.path).toMatch(/^query\.mapping/);
    });
  });
});

describe('the funnel report', () => {
  it('converts by cohort and source, times the handoff, rates the SLA, compares holdout with treated, and rates each step', async () => {
    // A quarter of 2021 no other test writes to.
    const tag = randomUUID().slice(0, 8);
    const day = (d: number, hours = 0) => new Date(Date.UTC(2021, 0, 4 + d, hours)).toISOString();
    const leads: [string, string, number, boolean, string[]][] = [
      // id, source, created (day), holdout, stages reached
      [`f-${tag}-1`, 'webinar', 0, false, ['mql', 'sql', 'opportunity']],
      [`f-${tag}-2`, 'webinar', 1, false, ['mql']],
      [`f-${tag}-3`, 'paid', 2, false, []],
      [`f-${tag}-4`, 'paid', 8, true, ['mql', 'sql']],
      [`f-${tag}-5`, 'paid', 9, true, []],
    ];
    for (const [id, source, created, holdout, stages] of leads) {
      await pool.query('INSERT INTO leads (id, source, holdout, created_at) VALUES ($1, $2, $3, $4)', [id, source, holdout, day(created)]);
      for (const [i, stage] of stages.entries()) {
        await pool.query('INSERT INTO stage_changes (idempotency_key, lead_id, to_stage, reason, changed_at) VALUES ($1, $2, $3, $4, $5)', [`${id}/${stage}`, id, stage, 'test', day(created + i + 1)]);
      }
    }
    await pool.query(
      `INSERT INTO handoffs (id, lead_id, status, escalations, opened_at, sla_due_at, closed_at) VALUES
       ($1, $2, 'accepted', 0, $3, $3, $3::timestamptz + interval '30 minutes'), ($4, $5, 'no_response', 2, $6, $6, NULL)`,
      [`handoff-f-${tag}-1-1`, `f-${tag}-1`, day(0, 12), `handoff-f-${tag}-4-1`, `f-${tag}-4`, day(9)],
    );
    const send = `f-${tag}-1/welcome/1`;
    await pool.query(
      `INSERT INTO sends (idempotency_key, lead_id, workflow_id, sequence_id, sequence_version, step_id, touch_number, channel, status)
       VALUES ($1, $2, 'w', 'welcome', 'v1', 'intro', 1, 'email', 'sent'), ($3, $4, 'w', 'welcome', 'v1', 'intro', 1, 'email', 'sent')`,
      [send, `f-${tag}-1`, `f-${tag}-2/welcome/1`, `f-${tag}-2`],
    );
    await storeEvents(pool, [
      { eventId: `open-${tag}`, leadId: `f-${tag}-1`, type: 'email_open', occurredAt: day(1), properties: { sendId: send } },
      { eventId: `click-${tag}`, leadId: `f-${tag}-1`, type: 'email_click', occurredAt: day(1), properties: { sendId: send } },
    ]);

    await withApi({ client }, async ({ url }) => {
      const report = await call(`${url}/v1/metrics/funnel?from=${day(0)}&to=${day(14)}&cohort=week&by=source`, 'GET', adminKey);
      expect(report.status).toBe(200);
      expect(report.body.cohorts).toEqual([
        expect.objectContaining({ cohort: '2021-01-04T00:00:00.000Z', group: 'paid', counts: { lead: 1, mql: 0, sql: 0, opportunity: 0, customer: 0 } }),
        expect.objectContaining({ cohort: '2021-01-04T00:00:00.000Z', group: 'webinar', counts: { lead: 2, mql: 2, sql: 1, opportunity: 1, customer: 0 }, conversion: expect.objectContaining({ leadToMql: 1, mqlToSql: 0.5 }) }),
        expect.objectContaining({ cohort: '2021-01-11T00:00:00.000Z', group: 'paid', counts: { lead: 2, mql: 1, sql: 1, opportunity: 0, customer: 0 } }),
      ]);
      // Speed to lead: the accepted handoff was answered in 30 minutes.
      expect(report.body.handoffs).toEqual({ total: 2, answered: 2, medianHoursToHandoff: 18, medianMinutesToAnswer: 30, slaHitRate: 0.5 });
      // Every move took a day: three leads became MQLs, two MQLs SQLs, one SQL an opportunity.
      expect(report.body.stageTimes).toEqual({
        leadToMql: { medianHours: 24, n: 3 },
        mqlToSql: { medianHours: 24, n: 2 },
        sqlToOpportunity: { medianHours: 24, n: 1 },
        opportunityToCustomer: { medianHours: null, n: 0 },
      });
      // Lift 1/3 over 1/2, minus one, with Katz's interval exp(ln(2/3) ± 1.96 × sqrt(1 - 1/3 + 1 - 1/2)) - 1: far too few leads to tell.
      expect(report.body.holdout).toMatchObject({
        treated: { leads: 3, converted: 1, conversion: 0.333 },
        holdout: { leads: 2, converted: 1, conversion: 0.5 },
        lift: -0.333,
        liftInterval: [-0.92, 4.537],
        difference: -0.167,
        enoughData: false,
        confidence: 0.95,
      });
      expect(report.body.steps).toEqual([{ sequenceId: 'welcome', stepId: 'intro', sent: 2, openRate: 0.5, clickRate: 0.5, replyRate: 0 }]);

      // Filtered to one source: the paid leads alone, in one group.
      const paid = await call(`${url}/v1/metrics/funnel?from=${day(0)}&to=${day(14)}&cohort=week&source=paid`, 'GET', adminKey);
      expect(paid.body.filter).toEqual({ source: 'paid', sequence: null, segment: null });
      expect(paid.body.cohorts.map((row: { cohort: string; group: string; counts: object }) => [row.cohort, row.group, row.counts])).toEqual([
        ['2021-01-04T00:00:00.000Z', 'all', { lead: 1, mql: 0, sql: 0, opportunity: 0, customer: 0 }],
        ['2021-01-11T00:00:00.000Z', 'all', { lead: 2, mql: 1, sql: 1, opportunity: 0, customer: 0 }],
      ]);

      const backwards = await call(`${url}/v1/metrics/funnel?from=${day(14)}&to=${day(0)}`, 'GET', adminKey);
      expect(backwards).toMatchObject({ status: 400, body: { details: [{ path: 'query.to' }] } });
    });
  });
});

describe('the in-app inbox', () => {
  it('lists a lead’s messages, marks one seen as an event of the lead, and answers 404 for another lead’s message', async () => {
    const leadId = `lead-${randomUUID()}`;
    const send = `lead-${leadId}/v1/onboarding/1`;
    await pool.query(
      `INSERT INTO sends (idempotency_key, lead_id, workflow_id, sequence_id, sequence_version, step_id, touch_number, channel, status)
       VALUES ($1, $2, $3, 'onboarding', 'v1', 'tip', 1, 'in_app', 'sent')`,
      [send, leadId, leadWorkflowId(leadId)],
    );
    const { rows } = await pool.query("INSERT INTO in_app_messages (send_key, lead_id, title, body) VALUES ($1, $2, 'Tip', 'Invite your team') RETURNING id", [send, leadId]);
    const messageId = rows[0].id as string;
    await withApi({ client }, async ({ url }) => {
      const inbox = await call(`${url}/v1/leads/${leadId}/messages`, 'GET', adminKey);
      expect(inbox.body.items).toEqual([expect.objectContaining({ id: messageId, title: 'Tip', body: 'Invite your team' })]);
      expect((await call(`${url}/v1/leads/lead-someone-else/messages/${messageId}/seen`, 'POST', adminKey)).status).toBe(404);
      expect(await call(`${url}/v1/leads/${leadId}/messages/${messageId}/seen`, 'POST', adminKey)).toMatchObject({ status: 200, body: { type: 'in_app_seen', leadId } });
      const { rows: events } = await pool.query('SELECT type, properties FROM events WHERE lead_id = $1', [leadId]);
      expect(events).toEqual([{ type: 'in_app_seen', properties: { sendId: send, messageId } }]);
    });
  });
});

describe('leads', () => {
  it('lists by source a page at a time, and erases a lead on request: personal data gone, the funnel row kept', async () => {
    const source = `list-${randomUUID().slice(0, 8)}`;
    const ids = [1, 2, 3].map((n) => `${source}-${n}`);
    for (const id of ids) await pool.query("INSERT INTO leads (id, email, source, stage) VALUES ($1, $2, $3, 'mql')", [id, `${id}@example.org`, source]);
    await pool.query('INSERT INTO events (event_id, lead_id, type, occurred_at, properties) VALUES ($1, $2, $3, now(), $4)', [randomUUID(), ids[0], 'form_submit', { formId: 'contact', name: 'Ana' }]);
    const { secret: ingestKey } = await createApiKey(pool, 'site', ['ingest']);
    await withApi({ client }, async ({ url }) => {
      const first = await call(`${url}/v1/leads?source=${source}&limit=2`, 'GET', adminKey);
      expect(first.body.items.map((lead: { id: string }) => lead.id)).toEqual(ids.slice(0, 2));
      const second = await call(`${url}/v1/leads?source=${source}&limit=2&cursor=${first.body.nextCursor}`, 'GET', adminKey);
      expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids[2], email: `${ids[2]}@example.org` })], nextCursor: null });

      expect((await call(`${url}/v1/leads/${ids[0]}`, 'DELETE', ingestKey)).status).toBe(403);
      expect(await call(`${url}/v1/leads/${ids[0]}`, 'DELETE', adminKey)).toEqual({ status: 200, body: { id: ids[0], erased: true } });
      expect((await call(`${url}/v1/leads/${ids[0]}`, 'GET', adminKey)).status).toBe(404);
      // Idempotent: a retry (after Temporal was unreachable, say) finishes the job and says so again.
      expect(await call(`${url}/v1/leads/${ids[0]}`, 'DELETE', adminKey)).toEqual({ status: 200, body: { id: ids[0], erased: true } });
      expect((await call(`${url}/v1/leads/${source}-unknown`, 'DELETE', adminKey)).status).toBe(404);
      const { rows } = await pool.query('SELECT email, source, stage, erased_at IS NOT NULL AS erased FROM leads WHERE id = $1', [ids[0]]);
      expect(rows).toEqual([{ email: null, source, stage: 'mql', erased: true }]);
      expect((await pool.query('SELECT properties FROM events WHERE lead_id = $1', [ids[0]])).rows).toEqual([{ properties: {} }]);
      expect((await call(`${url}/v1/leads?source=${source}`, 'GET', adminKey)).body.items).toHaveLength(2);

      // The erasure sticks: the same id, the same address under another id, and the lead's events are refused.
      expect(await call(`${url}/v1/leads`, 'POST', adminKey, { id: ids[0], email: 'someone.else@example.org' })).toMatchObject({ status: 409, body: { details: [{ path: 'body.id' }] } });
      expect(await call(`${url}/v1/leads`, 'POST', adminKey, { id: `${source}-again`, email: `${ids[0]!.toUpperCase()}@Example.org` })).toMatchObject({ status: 422, body: { details: [{ path: 'body.email' }] } });
      expect((await pool.query('SELECT 1 FROM leads WHERE id = $1', [`${source}-again`])).rowCount).toBe(0);
      const late = { eventId: randomUUID(), leadId: ids[0], type: 'page_view', occurredAt: new Date().toISOString(), properties: { url: 'https://example.com/pricing', category: 'pricing' } };
      expect(await call(`${url}/v1/events`, 'POST', adminKey, late)).toEqual({ status: 202, body: { accepted: 0, duplicates: 0, erased: 1 } });
      expect((await pool.query('SELECT 1 FROM events WHERE event_id = $1', [late.eventId])).rowCount).toBe(0);
      const imported = await fetch(`${url}/v1/leads/import`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv' }, body: `id,email\n${source}-csv,${ids[0]}@example.org\n` });
      expect(await imported.json()).toMatchObject({ imported: 0, failed: [{ row: 2, field: 'email' }] });
    });
  });
});

describe('lead search and the marketing scope', () => {
  it('finds leads by name or company, tier, sequence and score range; a marketing key reads and steers, a read key only reads', async () => {
    const source = `search-${randomUUID().slice(0, 8)}`;
    const rows: [string, string, string, string, string, number][] = [
      // id suffix, first name, company, tier, sequence, score
      ['1', 'Ana', 'Acme 100% Corp', 'active', 'fast-track', 70],
      ['2', 'Ben', 'Globex', 'slow', 'education', 20],
      ['3', 'Anabel', 'Initech', 'active', 'education', 45],
    ];
    for (const [n, firstName, company, tier, sequence, score] of rows) {
      await pool.query('INSERT INTO leads (id, first_name, company, tier, sequence_id, total_score, source) VALUES ($1, $2, $3, $4, $5, $6, $7)', [`${source}-${n}`, firstName, company, tier, sequence, score, source]);
    }
    const { secret: marketingKey } = await createApiKey(pool, 'marketer', ['marketing']);
    const { secret: readKey } = await createApiKey(pool, 'dashboard', ['read']);
    await withApi({ client }, async ({ url }) => {
      const ids = async (query: string) => ((await call(`${url}/v1/leads?source=${source}&${query}`, 'GET', marketingKey)).body.items as { id: string }[]).map((lead) => lead.id);
      expect(await ids('search=ana')).toEqual([`${source}-1`, `${source}-3`]);
      // The search is text, not a pattern: % matches a percent sign only.
      expect(await ids(`search=${encodeURIComponent('100%')}`)).toEqual([`${source}-1`]);
      expect(await ids('search=globex')).toEqual([`${source}-2`]);
      expect(await ids('tier=active&sequence=education')).toEqual([`${source}-3`]);
      expect(await ids('minScore=40&maxScore=60')).toEqual([`${source}-3`]);

      // Steering a lead takes the marketing scope: a read key is refused before the lead is looked up.
      expect(await call(`${url}/v1/leads/${source}-1/pause`, 'POST', readKey)).toMatchObject({ status: 403, body: { details: [{ message: 'needs scope marketing' }] } });
      expect((await call(`${url}/v1/leads/${source}-unknown/pause`, 'POST', marketingKey)).status).toBe(404);
      expect((await call(`${url}/v1/leads/export.csv`, 'GET', marketingKey)).status).toBe(403);
    });
  });
});

describe('the sequence report', () => {
  it('counts each step’s sends, deferrals and skips with their reasons, where the leads are, the versions and the conversions', async () => {
    const id = `seq-${randomUUID().slice(0, 8)}`;
    const definition = { id, name: 'Report test', audience: { stage: ['lead'] }, exitWhen: [], steps: [{ kind: 'email', id: 'hello', template: 'ops/hello' }, { kind: 'wait', id: 'pause', duration: '2d' }, { kind: 'email', id: 'again', template: 'ops/again' }] };
    const version = `${id}@v1`;
    await pool.query('INSERT INTO sequence_versions (version, sequence_id, definition) VALUES ($1, $2, $3)', [version, id, definition]);
    const snapshot = { model: {}, sequences: { [id]: definition }, routing: [], defaultSequence: id, longTermSequence: id, templates: {} };
    await pool.query('INSERT INTO catalog_versions (version, snapshot, live_since) VALUES ($1, $2, $3)', [`catalog@${id}`, snapshot, new Date(Date.now() + 86_400_000)]);
    const lead = (n: number) => `${id}-lead-${n}`;
    const at = (minutes: number) => new Date(Date.now() - 3_600_000 + minutes * 60_000);
    for (const n of [1, 2, 3]) {
      await pool.query('INSERT INTO leads (id, sequence_id) VALUES ($1, $2)', [lead(n), id]);
      await pool.query("INSERT INTO lead_activity (idempotency_key, lead_id, kind, detail, at) VALUES ($1, $2, 'enterSequence', $3, $4)", [`${lead(n)}/enter`, lead(n), { sequenceId: id, version, reason: 'routing' }, at(0)]);
    }
    const sendRow = (n: number, step: string, status: string, minutes: number) =>
      pool.query(
        `INSERT INTO sends (idempotency_key, lead_id, workflow_id, sequence_id, sequence_version, step_id, touch_number, channel, status, claimed_at)
         VALUES ($1, $2, 'w', $3, $4, $5, 1, 'email', $6, $7)`,
        [`${lead(n)}/${step}`, lead(n), id, version, step, status, at(minutes)],
      );
    // Lead 1 got both emails and opened the first; lead 2 got the first; lead 3's first was deferred, then skipped.
    await sendRow(1, 'hello', 'sent', 1);
    await sendRow(1, 'again', 'sent', 10);
    await sendRow(2, 'hello', 'sent', 1);
    await storeEvents(pool, [{ eventId: `${id}-open`, leadId: lead(1), type: 'email_open', occurredAt: at(2).toISOString(), properties: { sendId: `${lead(1)}/hello` } }]);
    await pool.query(
      `INSERT INTO lead_activity (idempotency_key, lead_id, kind, detail, at) VALUES
       ($1, $2, 'touchDeferred', $3, $4), ($5, $2, 'touchSkipped', $6, $7)`,
      [`${lead(3)}/deferred`, lead(3), { sequenceId: id, stepId: 'hello', channel: 'email', reasons: ['window:email', 'cap:spacing'] }, at(1), `${lead(3)}/skipped`, { sequenceId: id, stepId: 'hello', channel: 'email', reason: 'consent:email' }, at(5)],
    );
    // Lead 1 became an MQL in the sequence.
    await pool.query("INSERT INTO stage_changes (idempotency_key, lead_id, to_stage, reason, changed_at) VALUES ($1, $2, 'mql', 'test', $3)", [`${lead(1)}/mql`, lead(1), at(20)]);

    try {
      await withApi({ client }, async ({ url }) => {
        const report = (await call(`${url}/v1/sequences/${id}`, 'GET', adminKey)).body;
        expect(report).toMatchObject({ id, version, leadsNow: 3, leadsNotYetTouched: 0, audience: 'stage is lead', conversions: { leads: 3, mql: 1, sql: 0 } });
        const steps = Object.fromEntries(report.steps.map((step: { id: string }) => [step.id, step]));
        expect(steps.hello).toMatchObject({ text: 'Email ops/hello', sent: 2, deferred: 2, skipped: 1, opened: 1, openRate: 0.5, leadsHere: 2 });
        expect(steps.hello.reasons).toEqual(
          expect.arrayContaining([
            { outcome: 'deferred', reason: 'window:email', n: 1 },
            { outcome: 'deferred', reason: 'cap:spacing', n: 1 },
            { outcome: 'skipped', reason: 'consent:email', n: 1 },
          ]),
        );
        expect(steps.pause).toMatchObject({ text: 'Wait 2d', sent: 0, leadsHere: 0 });
        expect(steps.again).toMatchObject({ sent: 1, openRate: 0, leadsHere: 1 });
        expect(report.versions).toEqual([expect.objectContaining({ version, leadsNow: 3, live: true })]);
        expect((await call(`${url}/v1/sequences`, 'GET', adminKey)).body.items).toEqual([expect.objectContaining({ id, steps: 3, leadsNow: 3, sent: 3 })]);
        expect((await call(`${url}/v1/sequences/no-such-sequence`, 'GET', adminKey)).status).toBe(404);

        // A second version: a step's template changed, one step added; the diff names both.
        const next = { ...definition, steps: [{ ...definition.steps[0], template: 'ops/hello-again' }, ...definition.steps.slice(1), { kind: 'handoff', id: 'sales' }] };
        await pool.query('INSERT INTO sequence_versions (version, sequence_id, definition) VALUES ($1, $2, $3)', [`${id}@v2`, id, next]);
        expect((await call(`${url}/v1/sequences/${id}/diff?from=${version}&to=${id}@v2`, 'GET', adminKey)).body).toEqual({
          from: version,
          to: `${id}@v2`,
          changes: [
            { where: `${id}/hello`, what: 'template: "ops/hello" → "ops/hello-again"' },
            { where: `${id}/sales`, what: 'step added (handoff)' },
          ],
        });
        expect((await call(`${url}/v1/sequences/${id}/diff?from=${version}&to=fast-track@v1`, 'GET', adminKey)).status).toBe(404);
      });
    } finally {
      // The other tests' lead workers publish their own live catalog.
      await pool.query('DELETE FROM catalog_versions WHERE version = $1', [`catalog@${id}`]);
    }
  });
});

describe('erasure', () => {
  it('keeps identifiers out of every history, and deletes every execution of the lead and its handoff on request', async () => {
    const leadId = `lead-${randomUUID()}`;
    const identifiers = { email: 'ines.duarte@northwind.example', phone: '+1 212 555 0188', firstName: 'Ines', lastName: 'Duarte' };
    await pool.query("INSERT INTO reps (id, name) VALUES ($1, 'Robin')", [`rep-${randomUUID()}`]);
    await withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, async ({ taskQueue }) => {
      await withApi({ client, taskQueue }, async ({ url }) => {
        await call(`${url}/v1/leads`, 'POST', adminKey, { id: leadId, ...identifiers, company: 'Northwind', title: 'VP Operations', country: 'US', consent: { email: true, sms: true } });
        const event = (type: string, properties: Record<string, unknown>) => ({ eventId: randomUUID(), leadId, type, occurredAt: new Date().toISOString(), properties });
        await call(`${url}/v1/events`, 'POST', adminKey, {
          events: [
            event('page_view', { url: `https://example.com/pricing?email=${identifiers.email}`, category: 'pricing' }),
            event('form_submit', { formId: 'contact', email: identifiers.email, name: `${identifiers.firstName} ${identifiers.lastName}` }),
            event('demo_request', {}),
          ],
        });
        const handoffId = `handoff-${leadId}-1`;
        await eventually(async () => (await pool.query('SELECT 1 FROM handoffs WHERE id = $1', [handoffId])).rowCount || undefined);

        const workflowIds = [leadWorkflowId(leadId), handoffId];
        for (const workflowId of workflowIds) {
          const history = historyText(await client.workflow.getHandle(workflowId).fetchHistory());
          expect(history).toContain('VP Operations');
          for (const identifier of [...Object.values(identifiers), '2125550188', 'ines.duarte']) expect(history).not.toContain(identifier);
        }

        // A CRM's note on an opt-in: free text the engine cannot vouch for.
        await call(`${url}/v1/leads/${leadId}/consent`, 'POST', adminKey, { channel: 'email', granted: true, source: 'crm', evidence: { note: 'opted in by Ines Duarte at the booth' } });
        expect(await call(`${url}/v1/leads/${leadId}`, 'DELETE', adminKey)).toEqual({ status: 200, body: { id: leadId, erased: true } });
        // The consent history stays (who may be contacted is the operator's to prove), its evidence goes.
        const kept = await consentHistory(pool, leadId);
        expect(kept.map(({ channel, granted, source }) => ({ channel, granted, source }))).toContainEqual({ channel: 'email', granted: true, source: 'crm' });
        expect(JSON.stringify(kept)).not.toContain('Ines');
        for (const workflowId of workflowIds) {
          await eventually(async () => {
            const found = await client.workflow.getHandle(workflowId).describe().then(() => true, (err: Error) => (err.name === 'WorkflowNotFoundError' ? false : Promise.reject(err)));
            return found ? undefined : true;
          });
        }
        // An event racing the erasure starts nothing again.
        await call(`${url}/v1/events`, 'POST', adminKey, event('page_view', { url: 'https://example.com/pricing', category: 'pricing' }));
        await new Promise((resolve) => setTimeout(resolve, 500));
        await expect(client.workflow.getHandle(leadWorkflowId(leadId)).describe()).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });
      });
    });
  });
});
