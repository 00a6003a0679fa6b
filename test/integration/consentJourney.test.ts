// Consent changed through the doors a user has, followed to the wire: the real workflows on the dev
// server, the API, and delivery to a real SMTP server and to the real Twilio SDK's local endpoint.
// An opt-out by profile update stops email while intent keeps arriving, a later SMS opt-in lets SMS
// flow, and an email reply that asks to stop, or a spam complaint, is taken as the unsubscribe it is.
import { randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createDeliveryActivities } from '../../activities/delivery';
import type { DeliveryActivities } from '../../activities/types';
import { createTwilioClient, normalisePhone } from '../../channels/sms';
import type { LeadEvent } from '../../core/model/events';
import { buildModel } from '../../core/model/tuning';
import { startSmtpServer, type SmtpSinkServer } from '../../devstack/smtpSink';
import { startTwilioServer, type TwilioServer } from '../../devstack/twilioServer';
import { buildCatalog } from '../../sequences/catalog';
import { defineSequence, email, fieldIs, sms, wait } from '../../sequences/dsl';
import { librarySequences } from '../../sequences/library';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { callApi, withApi } from '../support/api';
import { channelRenderer } from '../support/channelTouches';
import { eventually, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

/** Steps two seconds apart at any hour, so a journey of several touches fits in a test. */
const steps = (count: number, touch: (i: number) => ReturnType<typeof email>) => Array.from({ length: count }, (_, i) => [touch(i + 1), wait('2s')]).flat();
const catalog = buildCatalog({
  model: buildModel({
    holdoutPercent: 0,
    cadence: {
      coolingStretch: 1,
      minSpacing: '1s',
      caps: { email: { limit: 50, window: '1d' }, sms: { limit: 50, window: '1d' }, all: { limit: 100, window: '1d' } },
      windows: { email: '00:00-24:00,mon-sun', sms: '00:00-24:00,mon-sun' },
    },
  }),
  sequences: [
    ...librarySequences,
    defineSequence({ id: 'email-drip', name: 'Email drip', audience: fieldIs('source', 'consent-email'), steps: steps(8, (i) => email(`email-${i}`, 'education/guide')) }),
    defineSequence({ id: 'sms-drip', name: 'SMS drip', audience: fieldIs('source', 'consent-sms'), steps: steps(10, (i) => sms(`sms-${i}`, 'test/sms-hello')) }),
  ],
  routing: ['email-drip', 'sms-drip'],
  defaultSequence: 'education',
  longTermSequence: 'long-term-nurture',
});

const adminKey = `admin-${randomUUID()}`;
const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
let pool: Pool, nativeConnection: NativeConnection, client: Client;
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });

let smtp: SmtpSinkServer;
let twilioServer: TwilioServer;
let delivery: DeliveryActivities;
let closeTransport: () => void;
/** Recipients of every email the SMTP server accepted, in order. */
const mailedTo: string[] = [];

beforeAll(async () => {
  smtp = await startSmtpServer({ onMessage: async (raw) => void mailedTo.push(...[(await simpleParser(raw)).to].flat().flatMap((to) => to?.value.map((v) => v.address ?? '') ?? [])) });
  twilioServer = await startTwilioServer({ accountSid: ACCOUNT_SID, authToken: 'consent-test-token' });
  const transport = nodemailer.createTransport({ url: smtp.url, pool: true });
  closeTransport = () => transport.close();
  const message = { sender: { name: 'Sam Lee', company: 'Relay', address: '1 Main St, Springfield' }, publicUrl: 'https://nurture.relay.example', signingSecret: 'consent-test-secret', offers: {} };
  delivery = createDeliveryActivities({
    pool,
    renderer: channelRenderer,
    email: { transport, settings: { ...message, from: 'Sam Lee <sam@relay.example>', domain: 'relay.example' } },
    sms: {
      ...message,
      client: createTwilioClient({ accountSid: ACCOUNT_SID, authToken: 'consent-test-token', apiUrl: twilioServer.url }),
      from: '+15005550006',
      window: catalog.model.cadence.windows.sms,
      defaultTimezone: 'UTC',
    },
  });
});

afterAll(async () => {
  closeTransport?.();
  await smtp?.close();
  await twilioServer?.close();
});

const productionLeadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) =>
  engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle });

/**
 * Numbers in zones round the world, by the prefix that places them there: the law keeps texts to
 * 08:00-21:00 where the lead is, so a test that must see texts arrive texts a number where it is
 * the middle of the day now, whatever the hour it runs at.
 */
const NUMBERS_BY_ZONE: Array<[prefix: string, timezone: string]> = [
  ['+1415555', 'America/Los_Angeles'],
  ['+1212555', 'America/New_York'],
  ['+551191234', 'America/Sao_Paulo'],
  ['+91981234', 'Asia/Kolkata'],
  ['+659123', 'Asia/Singapore'],
  ['+8131234', 'Asia/Tokyo'],
  ['+6129123', 'Australia/Sydney'],
];

function daytimeNumber(now: Date): { phone: string; timezone: string } {
  const hourIn = (timezone: string) => Number(new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: 'numeric', hourCycle: 'h23' }).format(now));
  const found = NUMBERS_BY_ZONE.find(([, timezone]) => hourIn(timezone) >= 9 && hourIn(timezone) < 19);
  if (!found) throw new Error(`no zone in NUMBERS_BY_ZONE is between 09:00 and 19:00 at ${now.toISOString()}`);
  const [prefix, timezone] = found;
  return { phone: `${prefix}${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`, timezone };
}

/** The engine as it runs: the API and its relay in front of the production lead worker, delivering for real. */
function withEngine(body: (post: (path: string, payload: unknown) => ReturnType<typeof callApi>, get: (path: string) => ReturnType<typeof callApi>) => Promise<void>) {
  return withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker, delivery }, ({ taskQueue }) =>
    withApi({ pool, client, taskQueue }, ({ url }) =>
      body(
        (path, payload) => callApi(`${url}${path}`, 'POST', adminKey, payload),
        (path) => callApi(`${url}${path}`, 'GET', adminKey),
      ),
    ),
  );
}

const intent = (leadId: string, type: 'page_view' | 'email_click' = 'page_view'): LeadEvent =>
  type === 'page_view'
    ? { eventId: randomUUID(), leadId, type, occurredAt: new Date().toISOString(), properties: { url: 'https://relay.example/pricing', category: 'pricing' } }
    : { eventId: randomUUID(), leadId, type, occurredAt: new Date().toISOString(), properties: {} };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mailsTo = (address: string) => mailedTo.filter((to) => to === address).length;
const textsTo = (number: string) => twilioServer.received.filter((text) => text.to === number).length;

describe('consent through every door, down to the wire', () => {
  it('stops email once a profile update opts out, while intent keeps arriving', async () => {
    const id = `lead-${randomUUID()}`;
    const address = `${id}@northwind.example`;
    await withEngine(async (post, get) => {
      expect((await post('/v1/leads', { id, email: address, firstName: 'Ada', timezone: 'Europe/Dublin', consent: { email: true }, source: 'consent-email' })).status).toBe(201);
      await eventually(async () => (mailsTo(address) >= 2 ? true : undefined));
      // A later form or CRM sync says no more email.
      expect((await post('/v1/leads', { id, email: address, consent: { email: false } })).status).toBe(200);
      const mailedAtOptOut = mailsTo(address);
      // Intent keeps arriving for longer than three more steps would take.
      for (let i = 0; i < 8; i++) {
        expect((await post('/v1/events', intent(id, i % 2 ? 'email_click' : 'page_view'))).status).toBe(202);
        await sleep(1_000);
      }
      // At most the send already on the wire when the update came; nothing after.
      expect(mailsTo(address)).toBeLessThanOrEqual(mailedAtOptOut + 1);
      const settled = mailsTo(address);
      await sleep(3_000);
      expect(mailsTo(address)).toBe(settled);
      const lead = await get(`/v1/leads/${id}`);
      expect(lead.body.consent).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'email', granted: false, source: 'api' })]));
      expect(lead.body.state).toMatchObject({ consent: { email: false }, consentReasons: { email: expect.stringContaining('api') } });
    });
  });

  // One was a digit short (India's mobiles have ten), refused as no number from 03:30 to 12:00 UTC, when India came first.
  it.each(NUMBERS_BY_ZONE)('texts a valid number wherever it is daytime: %s… in %s', (prefix) => {
    for (const suffix of ['0000', '4821', '9999']) expect(normalisePhone(`${prefix}${suffix}`)).toMatch(/^\+\d+$/);
  });

  it('sends SMS once a later profile update opts in', async () => {
    const id = `lead-${randomUUID()}`;
    const { phone, timezone } = daytimeNumber(new Date());
    await withEngine(async (post) => {
      expect((await post('/v1/leads', { id, phone, firstName: 'Ada', timezone, source: 'consent-sms' })).status).toBe(201);
      // Without an opt-in the first steps are skipped, and nothing is texted.
      await eventually(async () => ((await pool.query("SELECT 1 FROM lead_activity WHERE lead_id = $1 AND kind = 'touchSkipped'", [id])).rowCount ? true : undefined));
      expect(textsTo(phone)).toBe(0);
      expect((await post('/v1/leads', { id, phone, consent: { sms: true } })).status).toBe(200);
      await eventually(async () => (textsTo(phone) >= 2 ? true : undefined));
      expect(twilioServer.received.find((text) => text.to === phone)?.body).toContain('Hi Ada');
    });
  });

  it.each([
    ['an email reply that asks to stop', 'email_reply', { body: 'Please take me off this list.\n\n> On Monday Sam wrote…' }],
    ['a spam complaint', 'email_complaint', {}],
  ])('takes %s as an unsubscribe, with its consent fact', async (_, type, properties) => {
    const id = `lead-${randomUUID()}`;
    const address = `${id}@northwind.example`;
    await withEngine(async (post, get) => {
      expect((await post('/v1/leads', { id, email: address, consent: { email: true }, source: 'consent-email' })).status).toBe(201);
      await eventually(async () => (mailsTo(address) >= 1 ? true : undefined));
      expect((await post('/v1/events', { eventId: randomUUID(), leadId: id, type, occurredAt: new Date().toISOString(), properties })).status).toBe(202);
      const mailedAtRevocation = mailsTo(address);
      await sleep(6_000);
      expect(mailsTo(address)).toBeLessThanOrEqual(mailedAtRevocation + 1);
      const lead = await get(`/v1/leads/${id}`);
      expect(lead.body.consent).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'email', granted: false, source: type })]));
    });
  });
});
