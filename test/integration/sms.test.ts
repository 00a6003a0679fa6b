import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Pool } from 'pg';
import twilio from 'twilio';
import { deliveryConfig, parseConfig } from '../../app/config';
import { createTwilioClient, type TwilioConfig } from '../../channels/sms';
import { createTwilioWebhooks, smsKeyword } from '../../channels/twilioWebhooks';
import { createDeliveryActivities } from '../../activities/delivery';
import type { DeliveryActivities } from '../../activities/types';
import type { Lead } from '../../core/model/lead';
import { channelCatalog, channelRenderer, MORNING_IN_NEW_YORK, touchesOf, deliverTo } from '../support/channelTouches';
import { startTwilioServer, type TwilioServer } from '../../devstack/twilioServer';
import { consentHistory } from '../../db/repositories/consent';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'twilio-test-auth-token';
const INBOUND_URL = 'https://nurture.relay.example/twilio/inbound';
const STATUS_URL = 'https://nurture.relay.example/twilio/status';
const HELP_TEXT = 'Relay: product tips by text, about 1 a week. Reply STOP to opt out.';
const STOP_TEXT = 'Relay: you will get no more texts from us. Reply START to have them again.';

let pool: Pool;
let twilioServer: TwilioServer;
let config: TwilioConfig;
let clock = MORNING_IN_NEW_YORK;
let delivery: DeliveryActivities;
const webhooks = () => createTwilioWebhooks({ pool, authToken: AUTH_TOKEN, helpText: HELP_TEXT, stopText: STOP_TEXT, now: () => clock });

beforeAll(async () => {
  pool = new Pool({ connectionString: process.env.DATABASE_URL });
  twilioServer = await startTwilioServer({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const env = {
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_FROM: '+15005550006',
    TWILIO_API_URL: twilioServer.url,
    TWILIO_STATUS_CALLBACK_URL: STATUS_URL,
    NURTURE_LINK_SECRET: 'link-secret-of-32-characters-abc',
  };
  config = deliveryConfig(parseConfig(env)).sms!;
  delivery = createDeliveryActivities({
    pool,
    renderer: channelRenderer,
    sms: {
      client: createTwilioClient(config),
      from: config.from,
      statusCallbackUrl: config.statusCallbackUrl,
      window: channelCatalog.model.cadence.windows.sms,
      defaultTimezone: 'UTC',
      hours: channelCatalog.model.smsHours,
      sender: { name: 'Sam Lee', company: 'Relay', address: '1 Main St, Springfield' },
      publicUrl: 'https://nurture.relay.example',
      signingSecret: 'test-secret',
      offers: {},
    },
    now: () => clock,
  });
});

beforeEach(() => {
  clock = MORNING_IN_NEW_YORK;
});

afterAll(async () => {
  await twilioServer?.close();
  await pool?.end();
});

let numbers = 0;
/** A valid US mobile-format number of its own for each lead, as STOP is about the number. */
const freshNumber = () => `(415) 555-${2100 + numbers++}`;
const e164 = (national: string) => `+1${national.replace(/\D/g, '')}`;

const newLead = (phone = freshNumber()): Lead => ({
  id: `lead-${randomUUID()}`,
  phone,
  country: 'US',
  timezone: 'America/New_York',
  firstName: 'Ada',
  consent: { sms: true },
});

const deliver = (lead: Lead, touch = touchesOf(lead, 'sms-check-in', 1)[0]!) => deliverTo(delivery, pool, lead, touch);

function signed(url: string, params: Record<string, string>) {
  return { url, params, signature: twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params) };
}

const inbound = (from: string, body: string) =>
  signed(INBOUND_URL, { MessageSid: `SM${randomUUID().replace(/-/g, '')}`, AccountSid: ACCOUNT_SID, From: from, To: config.from, Body: body });

async function ledgerRow(key: string) {
  return (await pool.query('SELECT status, provider_id, recipient, error, delivery_status, delivery_error FROM sends WHERE idempotency_key = $1', [key])).rows[0];
}

describe('SMS delivery through the Twilio SDK', () => {
  it('texts the lead at its E.164 number through the configured API base, with opt-out wording and a status callback', async () => {
    const lead = newLead();
    const before = twilioServer.received.length;
    const [touch] = touchesOf(lead, 'sms-check-in', 1);
    const result = await deliver(lead, touch);

    expect(result).toEqual({ status: 'sent', providerId: expect.stringMatching(/^SM[0-9a-f]{32}$/) });
    expect(twilioServer.received).toHaveLength(before + 1);
    expect(twilioServer.received.at(-1)).toEqual({
      sid: (result as { providerId: string }).providerId,
      accountSid: ACCOUNT_SID,
      to: e164(lead.phone!),
      from: '+15005550006',
      body: 'Hi Ada, your Relay trial ends Friday. Questions? Just reply.\nReply STOP to opt out.',
      statusCallback: STATUS_URL,
    });
    expect(await ledgerRow(touch!.idempotencyKey)).toMatchObject({ status: 'sent', provider_id: (result as { providerId: string }).providerId, recipient: e164(lead.phone!) });
  });

  it('does not text a touch twice when the activity runs again', async () => {
    const lead = newLead();
    const [touch] = touchesOf(lead, 'sms-check-in', 1);
    expect(await deliver(lead, touch)).toMatchObject({ status: 'sent' });
    const after = twilioServer.received.length;
    expect(await deliver(lead, touch)).toEqual({ status: 'duplicate' });
    expect(twilioServer.received).toHaveLength(after);
  });

  it('fails a number no carrier takes for good, without asking Twilio, and answers a retry the same', async () => {
    const lead = newLead('+1 555 010 0000');
    const before = twilioServer.received.length;
    const [touch] = touchesOf(lead, 'sms-check-in', 1);
    const failed = { status: 'failed', reason: 'invalid_phone', detail: '+1 555 010 0000 is not a valid phone number' };
    expect(await deliver(lead, touch)).toEqual(failed);
    expect(await deliver(lead, touch)).toMatchObject({ status: 'failed', reason: 'invalid_phone' });
    expect(twilioServer.received).toHaveLength(before);
    expect(await ledgerRow(touch!.idempotencyKey)).toMatchObject({ status: 'failed', error: 'invalid_phone: +1 555 010 0000 is not a valid phone number' });
  });

  it("fails for good when Twilio refuses the 'To' number (21211), instead of retrying", async () => {
    const lead = newLead();
    twilioServer.refuse(e164(lead.phone!), { status: 400, code: 21211, message: "Invalid 'To' Phone Number" });
    const [touch] = touchesOf(lead, 'sms-check-in', 1);
    expect(await deliver(lead, touch)).toEqual({ status: 'failed', reason: 'invalid_phone', detail: "Twilio 21211: Invalid 'To' Phone Number" });
    expect(await ledgerRow(touch!.idempotencyKey)).toMatchObject({ status: 'failed', error: "invalid_phone: Twilio 21211: Invalid 'To' Phone Number" });
  });

  it("holds a text that would arrive in the lead's quiet hours until its window opens", async () => {
    const lead = newLead();
    const [touch] = touchesOf(lead, 'sms-check-in', 1);
    const before = twilioServer.received.length;
    clock = Date.parse('2026-03-03T03:30:00Z'); // 22:30 on Monday in New York
    const held = await deliver(lead, touch).catch((err: unknown) => err);
    expect(held).toBeInstanceOf(ApplicationFailure);
    expect(held).toMatchObject({ type: 'QuietHours', nonRetryable: false });
    // The retry comes at 09:00 on Tuesday, New York time.
    expect((held as ApplicationFailure).nextRetryDelay).toBe(Date.parse('2026-03-03T14:00:00Z') - clock);
    expect(twilioServer.received).toHaveLength(before);

    clock = Date.parse('2026-03-03T14:00:00Z');
    expect(await deliver(lead, touch)).toMatchObject({ status: 'sent' });
    expect(twilioServer.received).toHaveLength(before + 1);
  });

  it('finds the quiet hours of a lead without a time zone from its number and state, at the wire too', async () => {
    // A Miami number, no zone, no country: Eastern time.
    const lead: Lead = { id: `lead-${randomUUID()}`, phone: `+1305555${String(1000 + numbers++).padStart(4, '0')}`, firstName: 'Ada', consent: { sms: true } };
    const [touch] = touchesOf({ ...lead, timezone: 'America/New_York' }, 'sms-check-in', 1);
    clock = Date.parse('2026-03-03T10:00:00Z'); // 05:00 on Tuesday in Miami: a UTC reading would send
    const held = await deliver(lead, touch).catch((err: unknown) => err);
    expect(held).toMatchObject({ type: 'QuietHours' });
    expect((held as ApplicationFailure).nextRetryDelay).toBe(Date.parse('2026-03-03T14:00:00Z') - clock);
  });
});

describe('inbound texts', () => {
  it.each([
    ['STOP', 'stop'],
    [' Stop! ', 'stop'],
    ['stop all', 'stop'],
    ['Unsubscribe', 'stop'],
    ['cancel', 'stop'],
    ['END', 'stop'],
    ['quit', 'stop'],
    ['Opt-out', 'stop'],
    ['start', 'start'],
    ['Yes', 'start'],
    ['UNSTOP', 'start'],
    ['help', 'help'],
    ['Info?', 'help'],
    ['please stop texting me', undefined],
    ['Sounds good', undefined],
  ])('reads %j as %s', (body, keyword) => {
    expect(smsKeyword(body)).toBe(keyword);
  });

  it('STOP from the phone suppresses SMS: the next touch is not sent, nor one to another lead with the number, until START', async () => {
    const lead = newLead();
    const [first, next] = touchesOf(lead, 'sms-check-in', 2);
    expect(await deliver(lead, first)).toMatchObject({ status: 'sent' });

    const stop = await webhooks().inboundMessage(inbound(e164(lead.phone!), 'Stop'));
    expect(stop).toMatchObject({ status: 200, contentType: 'text/xml' });
    expect(stop).toMatchObject({ signals: [{ leadId: lead.id, signal: 'consentChanged', change: { channel: 'sms', granted: false, source: 'sms_stop', at: clock } }] });

    const before = twilioServer.received.length;
    expect(await deliver(lead, next)).toEqual({ status: 'failed', reason: 'suppressed' });
    // The same phone on a lead the engine has never texted: the number itself is opted out.
    const sameNumber = newLead(lead.phone);
    expect(await deliver(sameNumber)).toEqual({ status: 'failed', reason: 'suppressed' });
    expect(twilioServer.received).toHaveLength(before);

    const start = await webhooks().inboundMessage(inbound(e164(lead.phone!), 'START'));
    expect(start).toMatchObject({ status: 200 });
    expect(start).toMatchObject({ signals: expect.arrayContaining([{ leadId: lead.id, signal: 'consentChanged', change: { channel: 'sms', granted: true, source: 'sms_start', at: clock } }]) });
    const third = newLead(lead.phone);
    expect(await deliver(third)).toMatchObject({ status: 'sent' });
    expect(twilioServer.received.at(-1)).toMatchObject({ to: e164(lead.phone!) });
  });

  it('takes "please stop texting me" as a STOP, confirms it with one text, and sends nothing after', async () => {
    const lead = newLead();
    const [first, next] = touchesOf(lead, 'sms-check-in', 2);
    expect(await deliver(lead, first)).toMatchObject({ status: 'sent' });

    const plea = await webhooks().inboundMessage(inbound(e164(lead.phone!), 'Please stop texting me.'));
    expect(plea).toEqual({
      status: 200,
      contentType: 'text/xml',
      body: `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${STOP_TEXT}</Message></Response>`,
      signals: [{ leadId: lead.id, signal: 'consentChanged', change: { channel: 'sms', granted: false, source: 'sms_stop', at: clock } }],
    });
    expect(await consentHistory(pool, lead.id)).toEqual([expect.objectContaining({ channel: 'sms', granted: false, source: 'sms_stop' })]);

    const before = twilioServer.received.length;
    expect(await deliver(lead, next)).toEqual({ status: 'failed', reason: 'suppressed' });
    // Asked again: no second confirmation, and no reply event either.
    const again = await webhooks().inboundMessage(inbound(e164(lead.phone!), 'I said remove me!'));
    expect(again).toMatchObject({ body: '<?xml version="1.0" encoding="UTF-8"?><Response/>', signals: [{ signal: 'consentChanged' }] });
    expect(twilioServer.received).toHaveLength(before);
  });

  it('keeps a text that went out as sent when its command is replayed after a STOP', async () => {
    const lead = newLead();
    const [touch] = touchesOf(lead, 'sms-check-in', 1);
    expect(await deliver(lead, touch)).toMatchObject({ status: 'sent' });
    await webhooks().inboundMessage(inbound(e164(lead.phone!), 'STOP'));
    expect(await deliver(lead, touch)).toEqual({ status: 'duplicate' });
    expect(await ledgerRow(touch!.idempotencyKey)).toMatchObject({ status: 'sent' });
  });

  it('records a STOP that Twilio delivers twice once', async () => {
    const lead = newLead();
    expect(await deliver(lead)).toMatchObject({ status: 'sent' });
    const stop = inbound(e164(lead.phone!), 'STOP');
    await webhooks().inboundMessage(stop);
    await webhooks().inboundMessage(stop);
    // Twilio sends no time with a text: its second delivery comes later, and is still the same fact.
    clock += 60_000;
    await webhooks().inboundMessage(stop);
    expect(await consentHistory(pool, lead.id)).toEqual([expect.objectContaining({ channel: 'sms', granted: false, source: 'sms_stop', evidence: { messageSid: stop.params.MessageSid } })]);
  });

  it('refuses an unsigned or wrongly signed STOP and changes nothing', async () => {
    const lead = newLead();
    expect(await deliver(lead)).toMatchObject({ status: 'sent' });
    const stop = inbound(e164(lead.phone!), 'STOP');
    const forged = { ...stop, signature: twilio.getExpectedTwilioSignature('someone-elses-token', stop.url, stop.params) };

    expect(await webhooks().inboundMessage({ ...stop, signature: undefined })).toEqual({ status: 403, body: 'invalid signature' });
    expect(await webhooks().inboundMessage(forged)).toEqual({ status: 403, body: 'invalid signature' });
    // A body altered after signing does not pass either.
    expect(await webhooks().inboundMessage({ ...stop, params: { ...stop.params, From: '+14155550100' } })).toMatchObject({ status: 403 });

    const sameNumber = newLead(lead.phone);
    expect(await deliver(sameNumber)).toMatchObject({ status: 'sent' });
    expect(await consentHistory(pool, lead.id)).toEqual([]);
  });

  it('answers HELP with who is texting and how to stop, and changes no consent', async () => {
    const lead = newLead();
    expect(await deliver(lead)).toMatchObject({ status: 'sent' });
    const help = await webhooks().inboundMessage(inbound(e164(lead.phone!), 'help'));
    expect(help).toEqual({ status: 200, contentType: 'text/xml', body: `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${HELP_TEXT}</Message></Response>`, signals: [] });
    expect(await consentHistory(pool, lead.id)).toEqual([]);
  });

  it('turns any other text into a reply event for each lead with the number', async () => {
    const lead = newLead();
    expect(await deliver(lead)).toMatchObject({ status: 'sent' });
    const reply = inbound(e164(lead.phone!), 'Yes please, Thursday works');
    expect(await webhooks().inboundMessage(reply)).toMatchObject({
      status: 200,
      signals: [
        {
          leadId: lead.id,
          signal: 'event',
          event: { eventId: `sms:${reply.params.MessageSid}`, leadId: lead.id, type: 'sms_reply', occurredAt: new Date(clock).toISOString(), properties: { body: 'Yes please, Thursday works' } },
        },
      ],
    });
  });

  it('names the missing field of a signed but incomplete request', async () => {
    const { From: _from, ...withoutFrom } = inbound('+14155550100', 'STOP').params;
    expect(await webhooks().inboundMessage(signed(INBOUND_URL, withoutFrom))).toEqual({ status: 400, body: 'From: Invalid input: expected string, received undefined' });
  });
});

describe('status callbacks', () => {
  const status = (sid: string, messageStatus: string, errorCode?: string) =>
    signed(STATUS_URL, { MessageSid: sid, MessageStatus: messageStatus, AccountSid: ACCOUNT_SID, ...(errorCode ? { ErrorCode: errorCode } : {}) });

  it('records delivery on the ledger and keeps a final status when a late callback arrives', async () => {
    const lead = newLead();
    const [touch] = touchesOf(lead, 'sms-check-in', 1);
    const { providerId } = (await deliver(lead, touch)) as { providerId: string };

    const delivered = await webhooks().statusCallback(status(providerId, 'delivered'));
    expect(delivered).toEqual({ status: 200, body: '', delivery: { leadId: lead.id, sendId: touch!.idempotencyKey, status: 'delivered', changed: true } });
    expect(await ledgerRow(touch!.idempotencyKey)).toMatchObject({ status: 'sent', delivery_status: 'delivered' });

    const late = await webhooks().statusCallback(status(providerId, 'sent'));
    expect(late).toMatchObject({ delivery: { status: 'delivered', changed: false } });
    expect(await ledgerRow(touch!.idempotencyKey)).toMatchObject({ delivery_status: 'delivered' });
  });

  it("records an undelivered text with the carrier's error code", async () => {
    const lead = newLead();
    const [touch] = touchesOf(lead, 'sms-check-in', 1);
    const { providerId } = (await deliver(lead, touch)) as { providerId: string };
    expect(await webhooks().statusCallback(status(providerId, 'undelivered', '30006'))).toMatchObject({
      delivery: { leadId: lead.id, status: 'undelivered', errorCode: '30006', changed: true },
    });
    expect(await ledgerRow(touch!.idempotencyKey)).toMatchObject({ delivery_status: 'undelivered', delivery_error: '30006' });
  });

  it('refuses an unsigned status callback and leaves the ledger as it was', async () => {
    const lead = newLead();
    const [touch] = touchesOf(lead, 'sms-check-in', 1);
    const { providerId } = (await deliver(lead, touch)) as { providerId: string };
    expect(await webhooks().statusCallback({ ...status(providerId, 'failed', '30005'), signature: undefined })).toEqual({ status: 403, body: 'invalid signature' });
    expect(await ledgerRow(touch!.idempotencyKey)).toMatchObject({ delivery_status: null });
  });
});
