import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { signWebhook, verifyWebhookSignature } from '../../channels/webhook';
import { createDeliveryActivities } from '../../activities/delivery';
import type { DeliveryActivities } from '../../activities/types';
import type { Lead } from '../../core/model/lead';
import { channelRenderer, touchesOf, deliverTo } from '../support/channelTouches';
import { recordConsent } from '../../db/repositories/consent';
import { saveLead } from '../../db/repositories/leads';

const SECRET = 'crm-webhook-secret-0123456789';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let pool: Pool;
let receiver: Server;
let delivery: DeliveryActivities;
const received: Received[] = [];
/** Status codes the receiver answers with, in order; 204 once they run out. */
const answers: number[] = [];

beforeAll(async () => {
  pool = new Pool({ connectionString: process.env.DATABASE_URL });
  // A receiver as a CRM would run it: it keeps what came and answers as it is told.
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(answers.shift() ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  delivery = createDeliveryActivities({
    pool,
    renderer: channelRenderer,
    webhook: { targets: { crm: { url: `http://127.0.0.1:${port}/hooks/nurture`, secret: SECRET } } },
  });
});

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  await pool?.end();
});

beforeEach(() => {
  answers.length = 0;
});

const newLead = (): Lead => ({ id: `lead-${randomUUID()}`, email: 'ada@northwind.example', firstName: 'Ada', company: 'Northwind' });

/** The lead's webhook touch as the workflow asks for it; the activity reads the lead from PostgreSQL, where it is saved first. */
async function touchFor(lead: Lead) {
  await saveLead(pool, lead);
  const [touch] = touchesOf(lead, 'crm-alert', 1);
  return { workflowId: `lead-${lead.id}`, touch: touch! };
}

async function ledgerRow(key: string) {
  return (await pool.query('SELECT status, error FROM sends WHERE idempotency_key = $1', [key])).rows[0];
}

describe('webhook delivery', () => {
  it('posts the touch as JSON signed over timestamp and body, which the receiver verifies', async () => {
    const lead = newLead();
    const request = await touchFor(lead);
    const before = received.length;
    expect(await delivery.deliverTouch(request)).toEqual({ status: 'sent' });
    expect(received).toHaveLength(before + 1);

    const { headers, body } = received.at(-1)!;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['nurture-idempotency-key']).toBe(request.touch.idempotencyKey);
    expect(verifyWebhookSignature({ header: headers['nurture-signature'] as string, body, secret: SECRET })).toMatchObject({ ok: true });
    expect(JSON.parse(body)).toEqual({
      id: request.touch.idempotencyKey,
      event: 'lead.hot',
      occurredAt: new Date(request.touch.at).toISOString(),
      lead,
      sequence: { id: 'crm-alert', version: request.touch.sequenceVersion, step: 'notify-crm' },
      scores: request.touch.why.scores,
    });
    expect(await ledgerRow(request.touch.idempotencyKey)).toMatchObject({ status: 'sent' });
  });

  it("takes a receiver's 4xx as final: the step fails without retrying, and a rerun does not post again", async () => {
    const request = await touchFor(newLead());
    answers.push(410);
    const before = received.length;
    const failed = { status: 'failed', reason: 'rejected', detail: 'webhook crm answered HTTP 410' };
    expect(await delivery.deliverTouch(request)).toEqual(failed);
    expect(await delivery.deliverTouch(request)).toMatchObject({ status: 'failed', reason: 'rejected' });
    expect(received).toHaveLength(before + 1);
    expect(await ledgerRow(request.touch.idempotencyKey)).toEqual({ status: 'failed', error: 'rejected: webhook crm answered HTTP 410' });
  });

  it('retries a 5xx: the attempt throws, and the next one posts the same message again and succeeds', async () => {
    const request = await touchFor(newLead());
    answers.push(503);
    const before = received.length;
    await expect(delivery.deliverTouch(request)).rejects.toThrow('webhook crm answered HTTP 503');
    expect(await ledgerRow(request.touch.idempotencyKey)).toMatchObject({ status: 'claimed' });

    expect(await delivery.deliverTouch(request)).toEqual({ status: 'sent' });
    const attempts = received.slice(before);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.body).toBe(attempts[0]!.body);
    expect(attempts.map((attempt) => attempt.headers['nurture-idempotency-key'])).toEqual([request.touch.idempotencyKey, request.touch.idempotencyKey]);
  });

  it('retries when the receiver cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = createDeliveryActivities({ pool, renderer: channelRenderer, webhook: { targets: { crm: { url: `http://127.0.0.1:${port}/`, secret: SECRET } } } });
    const request = await touchFor(newLead());
    await expect(unreachable.deliverTouch(request)).rejects.toThrow('fetch failed');
    expect(await ledgerRow(request.touch.idempotencyKey)).toMatchObject({ status: 'claimed' });
  });

  it('posts for a lead who unsubscribed from everything: webhooks reach our systems, not the lead', async () => {
    const lead = newLead();
    await recordConsent(pool, (['email', 'sms', 'in_app'] as const).map((channel) => ({ leadId: lead.id, channel, granted: false, source: 'one-click', at: Date.now() })));
    expect(await delivery.deliverTouch(await touchFor(lead))).toEqual({ status: 'sent' });
  });

  it('refuses for good, on a worker configured for webhooks only, a touch on another channel', async () => {
    const lead: Lead = { ...newLead(), phone: '+14155552671', timezone: 'America/Los_Angeles', consent: { sms: true } };
    const [touch] = touchesOf(lead, 'sms-check-in', 1);
    await expect(deliverTo(delivery, pool, lead, touch!)).rejects.toMatchObject({
      type: 'ChannelNotConfigured',
      nonRetryable: true,
      message: 'the sms channel is not configured on this worker',
    });
  });

  it('names the bad field of a webhook configuration', () => {
    expect(() => createDeliveryActivities({ pool, renderer: channelRenderer, webhook: { targets: { crm: { url: 'ftp://crm.example', secret: SECRET } } } })).toThrow(
      'webhook settings: targets.crm.url: must be an http(s) URL',
    );
    expect(() => createDeliveryActivities({ pool, renderer: channelRenderer, webhook: { targets: { crm: { url: 'https://crm.example', secret: 'short' } } } })).toThrow(
      'webhook settings: targets.crm.secret: must be at least 16 characters',
    );
  });
});

describe('verifying a webhook signature', () => {
  const body = '{"id":"k","event":"lead.hot"}';
  const now = Date.parse('2026-03-02T15:00:00Z');
  const seconds = now / 1000;

  it('accepts a signature made within five minutes', () => {
    expect(verifyWebhookSignature({ header: signWebhook(body, SECRET, seconds - 299), body, secret: SECRET }, { now })).toEqual({ ok: true, timestamp: seconds - 299 });
  });

  it('refuses a replay older than five minutes, even correctly signed', () => {
    expect(verifyWebhookSignature({ header: signWebhook(body, SECRET, seconds - 301), body, secret: SECRET }, { now })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature({ header: signWebhook(body, SECRET, seconds + 301), body, secret: SECRET }, { now })).toEqual({ ok: false, reason: 'stale' });
  });

  it('refuses an altered body, another secret and a changed timestamp', () => {
    const header = signWebhook(body, SECRET, seconds);
    expect(verifyWebhookSignature({ header, body: body.replace('hot', 'cold'), secret: SECRET }, { now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature({ header, body, secret: 'another-secret-of-16+' }, { now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature({ header: header.replace(`t=${seconds}`, `t=${seconds - 1}`), body, secret: SECRET }, { now })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a missing or malformed header', () => {
    for (const header of [undefined, '', 'v1=abc', `t=${seconds}`, `t=soon,v1=abc`]) {
      expect(verifyWebhookSignature({ header, body, secret: SECRET }, { now })).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('accepts any of several signatures, so a secret can be rotated', () => {
    const old = signWebhook(body, 'the-previous-secret-xx', seconds);
    const current = signWebhook(body, SECRET, seconds).split(',')[1];
    expect(verifyWebhookSignature({ header: `${old},${current}`, body, secret: SECRET }, { now })).toMatchObject({ ok: true });
  });
});
