// What Twilio posts to us, framework-free so the HTTP API can mount it: inbound texts (STOP, START,
// HELP and their variants change consent for every lead with the number; anything else is a
// reply) and status callbacks (delivered, undelivered, failed go to the ledger). A request
// without a valid X-Twilio-Signature is refused before anything is read or written.
import twilio from 'twilio';
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import type { LeadEvent } from '../../core/model/events';
import { recordDeliveryStatus } from '../ledger';

export interface TwilioWebhookRequest {
  /** The full public URL Twilio called, with its query string: the signature covers it. */
  url: string;
  /** The X-Twilio-Signature header. */
  signature: string | undefined;
  /** The form-encoded body, parsed. */
  params: Record<string, string>;
}

/** What the lead workflow should be told: the caller signals each one to `lead-<leadId>`. */
export type LeadSignal =
  | { leadId: string; signal: 'consentChanged'; change: { channel: 'sms'; granted: boolean; source: string } }
  | { leadId: string; signal: 'event'; event: Extract<LeadEvent, { type: 'sms_reply' }> };

export type TwilioWebhookAnswer =
  | { status: 403; body: string }
  | { status: 400; body: string }
  | { status: 200; contentType: 'text/xml'; body: string; signals: LeadSignal[] };

export type StatusCallbackAnswer =
  | { status: 403; body: string }
  | { status: 400; body: string }
  | { status: 200; body: ''; delivery?: SmsDeliveryEvent };

/** A status callback as the lead's timeline shows it. */
export interface SmsDeliveryEvent {
  leadId: string;
  /** The send's idempotency key. */
  sendId: string;
  status: string;
  errorCode?: string;
  /** False when it came after a final status, which still stands. */
  changed: boolean;
}

/** Twilio's own opt-out, opt-in and help keywords, compared without case, spaces or punctuation. */
const KEYWORDS: Record<string, 'stop' | 'start' | 'help'> = {
  ...Object.fromEntries(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'].map((word) => [word, 'stop'])),
  ...Object.fromEntries(['START', 'YES', 'UNSTOP', 'OPTIN'].map((word) => [word, 'start'])),
  HELP: 'help',
  INFO: 'help',
};

/** `Stop!`, ` stop all `, `Opt-out` → the keyword they mean, if the whole text is one. */
export function smsKeyword(body: string): 'stop' | 'start' | 'help' | undefined {
  return KEYWORDS[body.toUpperCase().replace(/[^A-Z]/g, '')];
}

const messageSid = z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'must be a message SID');
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number');

const inboundSchema = z.object({ MessageSid: messageSid, From: e164, To: z.string().min(1), Body: z.string().max(1600) });
const statusSchema = z.object({
  MessageSid: messageSid,
  MessageStatus: z.enum(['accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'read', 'canceled']),
  ErrorCode: z.string().regex(/^\d+$/, 'must be a Twilio error code').optional(),
});

export interface TwilioWebhookSettings {
  pool: Pool;
  /** The account's auth token: Twilio signs its requests with it. */
  authToken: string;
  /** The answer to HELP: who is texting and how to stop it. */
  helpText: string;
  now?: () => number;
}

export function createTwilioWebhooks({ pool, authToken, helpText, now = Date.now }: TwilioWebhookSettings) {
  /** The params, when the request is signed by Twilio and has the fields `schema` needs. */
  function check<T>(request: TwilioWebhookRequest, schema: z.ZodType<T>): { params: T } | { status: 400 | 403; body: string } {
    if (!request.signature || !twilio.validateRequest(authToken, request.signature, request.url, request.params)) {
      return { status: 403, body: 'invalid signature' };
    }
    const parsed = schema.safeParse(request.params);
    if (parsed.success) return { params: parsed.data };
    const issue = parsed.error.issues[0]!;
    return { status: 400, body: `${issue.path.join('.')}: ${issue.message}` };
  }

  return {
    async inboundMessage(request: TwilioWebhookRequest): Promise<TwilioWebhookAnswer> {
      const checked = check(request, inboundSchema);
      if (!('params' in checked)) return checked;
      const { MessageSid, From, Body } = checked.params;
      const keyword = smsKeyword(Body);
      const reply = new twilio.twiml.MessagingResponse();
      let signals: LeadSignal[] = [];
      if (keyword === 'stop' || keyword === 'start') {
        signals = await changeConsent(pool, From, MessageSid, keyword === 'start');
      } else if (keyword === 'help') {
        // A question about the messages, not interest in the product: no reply event.
        reply.message(helpText);
      } else {
        const occurredAt = new Date(now()).toISOString();
        signals = (await leadsWithNumber(pool, From)).map((leadId) => ({
          leadId,
          signal: 'event',
          event: { eventId: `sms:${MessageSid}`, leadId, type: 'sms_reply', occurredAt, properties: { body: Body } },
        }));
      }
      return { status: 200, contentType: 'text/xml', body: reply.toString(), signals };
    },

    async statusCallback(request: TwilioWebhookRequest): Promise<StatusCallbackAnswer> {
      const checked = check(request, statusSchema);
      if (!('params' in checked)) return checked;
      const { MessageSid, MessageStatus, ErrorCode } = checked.params;
      const recorded = await recordDeliveryStatus(pool, 'sms', MessageSid, MessageStatus, ErrorCode);
      // A message not sent by this engine (another app on the account): nothing to record.
      if (!recorded) return { status: 200, body: '' };
      return {
        status: 200,
        body: '',
        delivery: {
          leadId: recorded.leadId,
          sendId: recorded.idempotencyKey,
          status: recorded.status,
          ...(recorded.error ? { errorCode: recorded.error } : {}),
          changed: recorded.changed,
        },
      };
    },
  };
}

/** Leads we have texted at the number, and leads whose profile has it. */
async function leadsWithNumber(db: Pool | PoolClient, phone: string): Promise<string[]> {
  const { rows } = await db.query<{ lead_id: string }>(
    `SELECT lead_id FROM sends WHERE channel = 'sms' AND recipient = $1
     UNION SELECT id FROM leads WHERE phone = $1
     ORDER BY lead_id`,
    [phone],
  );
  return rows.map((row) => row.lead_id);
}

/**
 * STOP suppresses the number itself (leads that appear later included) and every lead with it;
 * START lifts both. One transaction, with a consent row per lead keyed by the message, so a
 * webhook Twilio retries is recorded once.
 */
async function changeConsent(pool: Pool, phone: string, messageSid: string, granted: boolean): Promise<LeadSignal[]> {
  const source = granted ? 'sms_start' : 'sms_stop';
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const leadIds = await leadsWithNumber(client, phone);
    if (granted) {
      await client.query("DELETE FROM suppressed_addresses WHERE channel = 'sms' AND address = $1", [phone]);
      await client.query("DELETE FROM suppressions WHERE channel = 'sms' AND lead_id = ANY($1)", [leadIds]);
    } else {
      await client.query(
        `INSERT INTO suppressed_addresses (channel, address, reason, source) VALUES ('sms', $1, 'unsubscribe', $2)
         ON CONFLICT (channel, address) DO NOTHING`,
        [phone, source],
      );
      await client.query(
        `INSERT INTO suppressions (lead_id, channel, reason, source) SELECT id, 'sms', 'unsubscribe', $2 FROM unnest($1::text[]) AS id
         ON CONFLICT (lead_id, channel) DO NOTHING`,
        [leadIds, source],
      );
    }
    await client.query(
      `INSERT INTO lead_activity (idempotency_key, lead_id, kind, detail, at)
       SELECT $2 || '/' || id, id, 'smsConsent', $3, now() FROM unnest($1::text[]) AS id
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [leadIds, `sms:${messageSid}`, { channel: 'sms', granted, source, messageSid }],
    );
    await client.query('COMMIT');
    return leadIds.map((leadId) => ({ leadId, signal: 'consentChanged', change: { channel: 'sms', granted, source } }));
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}
