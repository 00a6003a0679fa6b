// The delivery workers' configuration: one zod schema over environment variables, and the settings
// each channel is served with. A channel whose variables are absent is simply not served.
import { z } from 'zod';
import { parseTwilioEnv, type TwilioConfig } from '../channels/sms';
import { ConfigError } from '../app/config';

/** `address` or `Display Name <address>`; the address loosely (nurture@localhost is fine). */
const FROM = /^\s*(?:"?([^"<]*?)"?\s*<([^\s@<>]+@[^\s@<>]+)>|([^\s@<>]+@[^\s@<>]+))\s*$/;
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const secret = z.string().min(16, 'must be at least 16 characters');

/** `id=url` pairs, comma-separated: where each middle offer (`offer('…', 'pricing_guide', …)`) is downloaded. */
const offersSchema = z.string().transform((text, ctx) => {
  const offers: Record<string, string> = {};
  for (const pair of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const [, id, url] = /^([a-z0-9_-]+)=(.+)$/i.exec(pair) ?? [];
    if (!id || !url || !httpUrl.safeParse(url).success) {
      ctx.addIssue({ code: 'custom', message: `must be id=https://… pairs separated by commas, not ${JSON.stringify(pair)}` });
      return z.NEVER;
    }
    offers[id] = url;
  }
  return offers;
});

/** The variables, for merging into core/config's schema. Rules across variables are in parseDeliveryConfig. */
export const deliveryConfigSchema = z.object({
  /** The SMTP relay (nodemailer, pooled connections); email is served when set. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  EMAIL_FROM: z.string().regex(FROM, 'must be an address or "Name <address>"').default('Nurture <nurture@localhost>'),
  /** The mailto: of List-Unsubscribe; unsubscribe@ the From domain when unset. */
  EMAIL_UNSUBSCRIBE_MAILBOX: z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be an email address').optional(),
  /** Base URL of the API's public tracking and unsubscribe routes, as recipients reach it. */
  PUBLIC_URL: httpUrl.default('http://127.0.0.1:3000'),
  /** Signs tracking and unsubscribe links: needed by every channel that renders a message. */
  NURTURE_LINK_SECRET: secret.optional(),
  /** The sender's company and postal address in every message's footer (anti-spam laws want the address). */
  NURTURE_SENDER_COMPANY: z.string().trim().min(1).optional(),
  NURTURE_SENDER_ADDRESS: z.string().trim().min(1).optional(),
  NURTURE_OFFERS: offersSchema.optional(),
  // Checked by parseTwilioEnv, which the SMS tests share.
  TWILIO_ACCOUNT_SID: z.string().optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  TWILIO_FROM: z.string().optional(),
  TWILIO_API_URL: z.string().optional(),
  TWILIO_STATUS_CALLBACK_URL: z.string().optional(),
  /** The endpoint every webhook step's target posts to, and the secret it is signed with. */
  NURTURE_WEBHOOK_URL: httpUrl.optional(),
  NURTURE_WEBHOOK_SECRET: secret.optional(),
});

export interface DeliveryConfig {
  publicUrl: string;
  sender: { name: string; company: string; address: string };
  offers: Record<string, string>;
  /** Absent: no channel that renders a message (email, SMS, in-app) is served. */
  signingSecret?: string;
  email?: { smtpUrl: string; from: string; unsubscribeMailbox: string };
  sms?: TwilioConfig;
  webhook?: { url: string; secret: string };
}

/**
 * The delivery settings from the environment. A bad or missing variable throws a ConfigError whose
 * message starts with its name; values are not echoed, as several are secrets.
 */
export function parseDeliveryConfig(env: Record<string, string | undefined>): DeliveryConfig {
  // Empty variables mean unset, as in core/config.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = deliveryConfigSchema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const vars = result.data;
  const [, displayName, bracketed, bare] = FROM.exec(vars.EMAIL_FROM)!;
  const fromAddress = (bracketed ?? bare)!;
  const name = displayName?.trim() || fromAddress;
  const sms = Object.keys(present).some((key) => key.startsWith('TWILIO_')) ? parseTwilioEnv(present) : undefined;

  if ((vars.SMTP_URL || sms) && !vars.NURTURE_LINK_SECRET) {
    throw new ConfigError('NURTURE_LINK_SECRET: must be set (at least 16 characters) to sign the unsubscribe and tracking links of email and SMS');
  }
  if (vars.SMTP_URL && !vars.NURTURE_SENDER_ADDRESS) {
    throw new ConfigError("NURTURE_SENDER_ADDRESS: must be set when SMTP_URL is: every marketing email carries the sender's postal address");
  }
  if (Boolean(vars.NURTURE_WEBHOOK_URL) !== Boolean(vars.NURTURE_WEBHOOK_SECRET)) {
    const [missing, given] = vars.NURTURE_WEBHOOK_URL ? ['NURTURE_WEBHOOK_SECRET', 'NURTURE_WEBHOOK_URL'] : ['NURTURE_WEBHOOK_URL', 'NURTURE_WEBHOOK_SECRET'];
    throw new ConfigError(`${missing}: must be set together with ${given}`);
  }

  return {
    publicUrl: vars.PUBLIC_URL,
    sender: { name, company: vars.NURTURE_SENDER_COMPANY ?? name, address: vars.NURTURE_SENDER_ADDRESS ?? '' },
    offers: vars.NURTURE_OFFERS ?? {},
    ...(vars.NURTURE_LINK_SECRET ? { signingSecret: vars.NURTURE_LINK_SECRET } : {}),
    ...(vars.SMTP_URL
      ? { email: { smtpUrl: vars.SMTP_URL, from: vars.EMAIL_FROM.trim(), unsubscribeMailbox: vars.EMAIL_UNSUBSCRIBE_MAILBOX ?? `unsubscribe@${fromAddress.split('@')[1]}` } }
      : {}),
    ...(sms ? { sms } : {}),
    ...(vars.NURTURE_WEBHOOK_URL && vars.NURTURE_WEBHOOK_SECRET ? { webhook: { url: vars.NURTURE_WEBHOOK_URL, secret: vars.NURTURE_WEBHOOK_SECRET } } : {}),
  };
}
