// Sales hear of a handoff the moment it opens: the assigned rep's email reaches a real SMTP server
// with the lead's context and links that act for that rep alone; a breach tells their manager and
// reassigns the task. The real workflows on the dev server, the API, PostgreSQL.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type { Pool } from 'pg';
import { createHandoffActivities } from '../../activities/handoff';
import { actionLink, type AlertSettings } from '../../channels/salesAlerts';
import { verifyWebhookSignature } from '../../channels/webhook';
import { createTwilioClient } from '../../channels/sms';
import { startTwilioServer, type TwilioServer } from '../../devstack/twilioServer';
import { startSmtpServer, type SmtpSinkServer } from '../../devstack/smtpSink';
import { getFreePort } from '../../app/net';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { callApi, withApi } from '../support/api';
import { anyHourCatalog, eventually, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;
const LINK_SECRET = 'sales-alerts-link-secret-0123456789';
let pool: Pool, nativeConnection: NativeConnection, client: Client;
// Before the servers' own: hooks after all tests run in the order they are declared, and the pool closes in theirs.
afterAll(async () => {
  alerts?.transport.close();
  await smtp?.close();
  await twilioServer?.close();
  // The reps table is shared by the files of this run: these reps leave routing.
  await pool.query("UPDATE reps SET active = false WHERE name LIKE 'Alerts test %'");
});
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });

let smtp: SmtpSinkServer;
let twilioServer: TwilioServer;
const mails: ParsedMail[] = [];
let alerts: AlertSettings;
let port: number;

beforeAll(async () => {
  smtp = await startSmtpServer({ onMessage: async (raw) => void mails.push(await simpleParser(raw)) });
  port = await getFreePort();
  const twilioCredentials = { accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'alerts-test-token' };
  twilioServer = await startTwilioServer(twilioCredentials);
  alerts = {
    transport: nodemailer.createTransport({ url: smtp.url, pool: true }),
    from: 'Nurture <alerts@relay.example>',
    publicUrl: `http://127.0.0.1:${port}`,
    signingSecret: LINK_SECRET,
    sms: { client: createTwilioClient({ ...twilioCredentials, apiUrl: twilioServer.url }), from: '+15005550006' },
  };
});


const mailTo = (address: string) => eventually(async () => mails.find((mail) => mail.to && [mail.to].flat().some((to) => to.value.some((v) => v.address === address))));
const linksIn = (mail: ParsedMail) => Object.fromEntries([...String(mail.text).matchAll(/^(Accept|Meeting booked|Reject with a reason): (\S+)$/gm)].map((m) => [m[1], m[2]!]));

/** The engine with alerts on: the API (its signed pages on `port`) in front of the production lead worker. */
function withEngine(sla: string, body: (call: (method: string, route: string, payload?: unknown) => ReturnType<typeof callApi>) => Promise<void>) {
  const productionLeadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) =>
    engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle, alerts });
  return withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, ({ taskQueue }) =>
    withApi({ pool, client, taskQueue, port, leadOptions: { handoff: { sla } }, public: { linkSecret: LINK_SECRET, publicUrl: alerts.publicUrl } }, ({ url }) =>
      body((method, route, payload) => callApi(`${url}${route}`, method, adminKey, payload)),
    ),
  );
}

/** Reps for a territory of their own (a country no other test uses), and a lead there who asks for a demo. */
async function demoRequest(call: (method: string, route: string, payload?: unknown) => ReturnType<typeof callApi>, country: string) {
  const leadId = `lead-${randomUUID()}`;
  const lead = { id: leadId, email: `ines@${leadId}.example`, firstName: 'Ines', lastName: 'Duarte', title: 'VP Operations', company: 'Northwind', industry: 'software', companySize: 300, country };
  expect((await call('POST', '/v1/leads', lead)).status).toBe(201);
  await call('POST', '/v1/events', { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} });
  return { lead, handoffId: `handoff-${leadId}-1` };
}

describe('alerts to sales', () => {
  it('emails the assigned rep the lead’s context with links that act for that rep alone, once', async () => {
    const [rep, other] = [`pat-${randomUUID().slice(0, 8)}`, `lee-${randomUUID().slice(0, 8)}`];
    await withEngine('1h', async (call) => {
      await call('POST', '/v1/reps', { id: rep, name: 'Alerts test Pat', email: `${rep}@relay.example`, territories: ['NZ'], industries: ['software'] });
      const { lead, handoffId } = await demoRequest(call, 'NZ');
      const mail = await mailTo(`${rep}@relay.example`);
      expect(mail.subject).toBe('Ines Duarte (Northwind): demo request');
      expect(mail.text).toContain(`Hi Alerts test Pat, a lead is waiting for you.`);
      expect(mail.text).toContain(lead.email);
      expect(mail.text).toMatch(/Why now: demo request\nScore \d+ \(fit \d+, intent \d+\)/);
      const links = linksIn(mail);
      expect(Object.keys(links)).toEqual(['Accept', 'Meeting booked', 'Reject with a reason']);

      // Mail scanners follow links: a GET shows the button and changes nothing.
      const shown = await fetch(links['Reject with a reason']!);
      expect(shown.status).toBe(200);
      expect(await shown.text()).toContain('<option value="bad_timing">bad timing</option>');
      expect((await call('GET', `/v1/handoffs/${handoffId}`)).body).toMatchObject({ status: 'open', owner: rep, alerts: [{ rep, kind: 'assigned', channel: 'email', status: 'sent' }] });

      // The same notice again (a retried activity) sends nothing more.
      const before = mails.length;
      await createHandoffActivities({ pool, alerts }).notifyRep({ handoffId, leadId: lead.id, owner: rep, escalation: 0, notifyManager: false });
      expect(mails.length).toBe(before);

      // A link signed for another rep, and an expired one, do not act.
      const notTheirs = await fetch(actionLink(alerts, handoffId, other, 'accept', Date.now()), { method: 'POST' });
      expect(notTheirs.status).toBe(403);
      const expired = await fetch(actionLink(alerts, handoffId, rep, 'accept', Date.now() - 8 * 24 * 3600_000), { method: 'POST' });
      expect(expired.status).toBe(410);
      expect((await call('GET', `/v1/handoffs/${handoffId}`)).body.status).toBe('open');

      const accepted = await fetch(links.Accept!, { method: 'POST' });
      expect(accepted.status).toBe(200);
      expect(await accepted.text()).toContain('The task is accepted.');
      expect((await fetch(links.Accept!, { method: 'POST' })).status).toBe(409);
    });
  });

  it('texts a rep who asks for texts, with the link that accepts', async () => {
    const rep = `tex-${randomUUID().slice(0, 8)}`;
    const phone = `+1415555${String(1000 + Math.floor(Math.random() * 8999))}`;
    await withEngine('1h', async (call) => {
      await call('POST', '/v1/reps', { id: rep, name: 'Alerts test Tex', phone, territories: ['PE'], industries: ['software'], channels: { email: false, sms: true } });
      const { handoffId } = await demoRequest(call, 'PE');
      const text = await eventually(async () => twilioServer.received.find((message) => message.to === phone));
      expect(text.body).toMatch(/^Ines Duarte \(Northwind\): demo request\. Accept: http:\/\/127\.0\.0\.1:\d+\/s\/\S+$/);
      expect((await call('GET', `/v1/handoffs/${handoffId}`)).body.alerts).toEqual([expect.objectContaining({ rep, channel: 'sms', status: 'sent' })]);
    });
  });

  it('posts to the rep’s webhook a Slack-readable text with the links, signed', async () => {
    const rep = `sky-${randomUUID().slice(0, 8)}`;
    const received: { body: string; signature: string }[] = [];
    const hook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ body, signature: String(request.headers['nurture-signature']) });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      await withEngine('1h', async (call) => {
        const webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/slack`;
        await call('POST', '/v1/reps', { id: rep, name: 'Alerts test Sky', territories: ['UY'], industries: ['software'], channels: { email: false, webhookUrl } });
        const { handoffId } = await demoRequest(call, 'UY');
        const posted = await eventually(async () => received[0]);
        expect(verifyWebhookSignature({ header: posted.signature, body: posted.body, secret: LINK_SECRET })).toMatchObject({ ok: true });
        const payload = JSON.parse(posted.body);
        expect(payload).toMatchObject({ kind: 'assigned', rep, handoff: { id: handoffId, reason: 'demo request' } });
        expect(payload.text).toMatch(/^Ines Duarte \(Northwind\): demo request\n<http:\/\/127\.0\.0\.1:\d+\/s\/[^|]+\|Accept> · <[^|]+\|Meeting booked> · <[^|]+\|Reject>$/);
        expect((await call('GET', `/v1/handoffs/${handoffId}`)).body.alerts).toEqual([expect.objectContaining({ rep, channel: 'webhook', status: 'sent' })]);
      });
    } finally {
      await new Promise((resolve) => hook.close(resolve));
    }
  });

  it('tells the manager when the rep lets the task wait, and reassigns it with its own alert', async () => {
    const tag = randomUUID().slice(0, 8);
    const [manager, first, second] = [`boss-${tag}`, `ana-${tag}`, `ben-${tag}`];
    await withEngine('4s', async (call) => {
      await call('POST', '/v1/reps', { id: manager, name: 'Alerts test Morgan', email: `${manager}@relay.example`, territories: ['ZA'], industries: ['retail'] });
      for (const id of [first, second]) {
        await call('POST', '/v1/reps', { id, name: `Alerts test ${id}`, email: `${id}@relay.example`, territories: ['IS'], industries: ['software'], manager });
      }
      const { handoffId } = await demoRequest(call, 'IS');
      const firstOwner = (await eventually(async () => (await call('GET', `/v1/handoffs/${handoffId}`)).body.owner as string | undefined))!;
      const nextOwner = firstOwner === first ? second : first;
      const breach = await mailTo(`${manager}@relay.example`);
      expect(breach.subject).toBe('Overdue: Ines Duarte (Northwind): demo request');
      expect(breach.text).toContain(`Alerts test ${firstOwner} did not act on this lead in time; it now goes to Alerts test ${nextOwner}.`);
      // The manager's copy acts for nobody; the new owner gets their own links.
      expect(linksIn(breach)).toEqual({});
      expect(Object.keys(linksIn(await mailTo(`${nextOwner}@relay.example`)))).toHaveLength(3);
      expect((await call('GET', `/v1/handoffs/${handoffId}`)).body).toMatchObject({ owner: nextOwner, escalations: 1 });
    });
  });
});
