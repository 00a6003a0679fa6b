// What Twilio posts to us, framework-free so the HTTP API can mount it: inbound texts (STOP, START,
// HELP and their variants change consent for every lead with the number; anything else is a
// reply) and status callbacks (delivered, undelivered, failed go to the ledger). A request
// without a valid X-Twilio-Signature is refused before anything is read or written.
import twilio from 'twilio';
import type { Pool } from 'pg';
import { z } from 'zod';
import { meansStop } from '../core/model/consent';
import type { LeadEvent } from '../core/model/events';
import { inTransaction } from '../db/pool';
import { leadsWithPhone } from '../db/repositories/leads';
import { recordDeliveryStatus } from '../db/repositories/sends';
import { liftAddress, recordConsent, suppressAddress } from '../db/repositories/consent';

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
  | { leadId: string; signal: 'consentChanged'; change: { channel: 'sms'; granted: boolean; source: string; at: number } }
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
interface SmsDeliveryEvent {
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

/** What the engine answers Twilio with, and the token that checks Twilio's requests. */
export interface TwilioReplies {
  /** The account's auth token: Twilio signs its requests with it. */
  authToken: string;
  /** The answer to HELP: who is texting and how to stop it. */
  helpText: string;
  /** The one confirmation a stop in plain words gets (Twilio answers its own keywords itself). */
  stopText: string;
}

export interface TwilioWebhookSettings extends TwilioReplies {
  pool: Pool;
  now?: () => number;
}

export function createTwilioWebhooks({ pool, authToken, helpText, stopText, now = Date.now }: TwilioWebhookSettings) {
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
        ({ signals } = await changeConsent(pool, From, MessageSid, keyword === 'start', now()));
      } else if (!keyword && meansStop(Body)) {
        // "Please stop texting me": a revocation Twilio does not see as one, so the engine confirms
        // it, once: a number that had stopped already gets nothing more.
        const stopped = await changeConsent(pool, From, MessageSid, false, now());
        signals = stopped.signals;
        if (stopped.changed) reply.message(stopText);
      } else if (keyword === 'help') {
        // A question about the messages, not interest in the product: no reply event.
        reply.message(helpText);
      } else {
        const occurredAt = new Date(now()).toISOString();
        signals = (await leadsWithPhone(pool, From)).map((leadId) => ({
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

/**
 * STOP suppresses the number itself (leads that appear later included) and refuses SMS for every
 * lead with it; START lifts both. One transaction; the consent facts carry the message as evidence
 * and are keyed by their instant, so a webhook Twilio retries is recorded once.
 */
function changeConsent(pool: Pool, phone: string, messageSid: string, granted: boolean, at: number): Promise<{ signals: LeadSignal[]; changed: boolean }> {
  const source = granted ? 'sms_start' : 'sms_stop';
  return inTransaction(pool, async (tx) => {
    const leadIds = await leadsWithPhone(tx, phone);
    const changed = granted ? await liftAddress(tx, 'sms', phone) : await suppressAddress(tx, 'sms', phone, 'unsubscribe', source);
    await recordConsent(tx, leadIds.map((leadId) => ({ leadId, channel: 'sms' as const, granted, source, evidence: { messageSid }, at, key: `sms:${messageSid}` })));
    return { signals: leadIds.map((leadId): LeadSignal => ({ leadId, signal: 'consentChanged', change: { channel: 'sms', granted, source, at } })), changed };
  });
}
