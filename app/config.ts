// The deployment's configuration: one zod schema over every environment variable the engine reads,
// parsed once per process, with the defaults that run it embedded; and the settings each part
// derives from it (delivery, the API's public URL, the servers and secrets a part requires). Pure:
// callers pass the environment in.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatSendWindow, parseSendWindow, sendWindowSchema, windowWithin } from '../core/model/sendWindow';
import { LEGAL_SMS_WINDOW } from '../core/model/tuning';
import { durationMs, durationSchema } from '../core/model/duration';
import type { DeliveryConfig } from '../workers/deliveryWorker';
import type { TwilioReplies } from '../channels/twilioWebhooks';
import type { EventTimeBounds } from '../api/routes/events';

/** Where `nurture start` and `nurture outbox` keep their data unless NURTURE_DATA_DIR says otherwise. */
export const DEFAULT_DATA_DIR = path.resolve(__dirname, '..', '.data');

/** A configuration value that failed validation, named so start-up can stop with one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** An origin as a browser sends it in `Origin:` (scheme, host, port; lower case, default port dropped). */
function browserOrigin(text: string): string | undefined {
  // No path, query or fragment: a browser never sends one, so such an entry could never match.
  if (!/^https?:\/\/[^/?#]+\/?$/i.test(text)) return undefined;
  try {
    const url = new URL(text);
    return url.username || url.password ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/** `*` for any origin, or the listed origins. */
const corsOriginsSchema = z.string().transform((text, ctx): '*' | string[] => {
  const entries = text.split(',').map((part) => part.trim()).filter(Boolean);
  if (entries.length === 1 && entries[0] === '*') return '*';
  const origins = entries.map(browserOrigin);
  const bad = entries.find((_, index) => !origins[index]);
  if (!entries.length || bad !== undefined) {
    const given = bad === '*' ? '* allows every origin and stands alone' : `not ${JSON.stringify(bad ?? text)}`;
    ctx.addIssue({ code: 'custom', message: `must be * or comma-separated http(s)://host[:port] origins without a path; ${given}` });
    return z.NEVER;
  }
  return origins as string[];
});

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const secret = z.string().trim().min(16, 'must be at least 16 characters');
/** `address` or `Display Name <address>`; the address loosely (nurture@localhost is fine). */
const FROM = /^\s*(?:"?([^"<]*?)"?\s*<([^\s@<>]+@[^\s@<>]+)>|([^\s@<>]+@[^\s@<>]+))\s*$/;
const DEFAULT_FROM = 'Nurture <nurture@localhost>';

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

export const configSchema = z.object({
  // --- servers ----------------------------------------------------------------------------------
  /** Connect to this PostgreSQL instead of starting the embedded one. */
  DATABASE_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  /** Connect to this Temporal frontend (host:port) instead of starting the dev server. */
  TEMPORAL_ADDRESS: z.string().trim().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  /** TLS to the frontend with the system's CAs (Temporal Cloud); implied by any setting below. */
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  /** The PEM file of the CA that signed the frontend's certificate, when it is not a public one. */
  TEMPORAL_TLS_CA: z.string().trim().min(1).optional(),
  /** mTLS: the client certificate and its key, PEM files, both or neither. */
  TEMPORAL_TLS_CERT: z.string().trim().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().trim().min(1).optional(),
  /** The name the frontend's certificate is checked against, when not TEMPORAL_ADDRESS's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().trim().min(1).optional(),
  /** An API key (Temporal Cloud), sent as a bearer token over TLS. */
  TEMPORAL_API_KEY: secret.optional(),
  /** Where the embedded servers keep their data. */
  NURTURE_DATA_DIR: z.string().trim().min(1).optional(),
  /** What `nurture start` runs when TEMPORAL_ADDRESS is unset: the CLI dev server, or the full server's four services on the embedded PostgreSQL. */
  NURTURE_TEMPORAL: z.enum(['dev-server', 'cluster']).default('dev-server'),
  /** Port of the Temporal Web UI of the embedded dev server; a free one when unset. */
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65_535).optional(),

  // --- the HTTP API -----------------------------------------------------------------------------
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** The address the HTTP API listens on; loopback when unset, 0.0.0.0 in a container. */
  HOST: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address to listen on, e.g. 0.0.0.0' }).optional(),
  /** Browser origins that may post events (POST /v1/events); no CORS headers at all when unset. */
  NURTURE_CORS_ORIGINS: corsOriginsSchema.optional(),
  /** The public base URL of the API: message links, Twilio's signatures; the API's own address when unset. */
  PUBLIC_URL: httpUrl.optional(),
  /** Events that happened before this day are refused (422): a clock or an import gone wrong. */
  NURTURE_EVENTS_SINCE: z.iso.date({ error: 'must be a day such as 2000-01-01' }).default('2000-01-01'),
  /** How far ahead of the API's clock an event's time may be (a sender's clock skew), e.g. 1h. */
  NURTURE_EVENTS_MAX_SKEW: durationSchema.default('1h'),
  /** An admin API key, seeded at start; `nurture start` makes and keeps a dev key when unset. */
  NURTURE_API_KEY: secret.optional(),
  /** The secret message links are signed with (open pixel, clicks, unsubscribe). */
  NURTURE_LINK_SECRET: secret.optional(),
  /** The key erased identifiers are hashed with, so the same person is refused later; keep it for good. */
  NURTURE_ERASURE_SECRET: secret.optional(),
  /** The API that `nurture import`, `demo` and `keys` talk to; the local engine on PORT when unset. */
  NURTURE_API_URL: httpUrl.optional(),

  // --- when touches may go out ------------------------------------------------------------------
  /** When email may go out in the lead's local time, `HH:MM-HH:MM[,days]`; the model's default when unset. */
  NURTURE_EMAIL_WINDOW: z.string().pipe(sendWindowSchema).optional(),
  /** The same for SMS, which can never be wider than the legal 08:00–21:00. */
  NURTURE_SMS_WINDOW: z
    .string()
    .pipe(sendWindowSchema)
    .refine((window) => windowWithin(window, parseSendWindow(LEGAL_SMS_WINDOW)), `must stay inside the legal ${LEGAL_SMS_WINDOW}`)
    .optional(),

  // --- delivery: a channel whose variables are absent is not served -----------------------------
  /** The SMTP relay (nodemailer, pooled connections); email is served when set. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  EMAIL_FROM: z.string().regex(FROM, 'must be an address or "Name <address>"').optional(),
  /** The sender's company and postal address in every message's footer (anti-spam laws want the address). */
  NURTURE_SENDER_COMPANY: z.string().trim().min(1).optional(),
  NURTURE_SENDER_ADDRESS: z.string().trim().min(1).optional(),
  NURTURE_OFFERS: offersSchema.optional(),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be an account SID: AC and 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  /** An E.164 number or a Messaging Service SID (MG…). */
  TWILIO_FROM: z.string().regex(/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/, 'must be an E.164 number or a Messaging Service SID (MG…)').optional(),
  /** Another Twilio-compatible API base (the local sink of `nurture start`); unset in production. */
  TWILIO_API_URL: httpUrl.optional(),
  /** Where Twilio reports delivery; the API's own status route (PUBLIC_URL/webhooks/twilio/status) when unset. */
  TWILIO_STATUS_CALLBACK_URL: httpUrl.optional(),
  /** The answer to a texted HELP: who is texting and how to stop; one naming the sender when unset. */
  NURTURE_SMS_HELP_TEXT: z.string().trim().min(1).max(320).optional(),
  /** The one confirmation a stop in plain words ("please stop texting me") gets; names the sender when unset. */
  NURTURE_SMS_STOP_TEXT: z.string().trim().min(1).max(320).optional(),
  /** The endpoint every webhook step's target posts to, and the secret it is signed with. */
  NURTURE_WEBHOOK_URL: httpUrl.optional(),
  NURTURE_WEBHOOK_SECRET: secret.optional(),
  /** The secret a CRM signs its outcome webhooks (POST /webhooks/crm) with; the route answers 404 without it. */
  NURTURE_CRM_WEBHOOK_SECRET: secret.optional(),

  // --- operations -------------------------------------------------------------------------------
  /** The least severe log lines written (JSON lines on stdout). */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Where `nurture worker` serves its Prometheus metrics (the API serves its own at /metrics); 0 picks a free port. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  /** A workflow bundle built ahead of time (`npm run build:workflows`); the lead worker bundles at start when unset. */
  NURTURE_WORKFLOW_BUNDLE: z.string().trim().min(1).optional(),
  /**
   * Leads a lead worker keeps in memory (~0.14 MB each, bench/workflows); one beyond it replays its
   * history when it next hears from outside, which a worker under a steady stream of events to more
   * leads than it keeps cannot afford (bench/api, speed to the rep).
   */
  NURTURE_WORKFLOW_CACHE: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  /** How often a lead worker checks the A/B tests that end by their own rule (`promote` on the step). */
  NURTURE_PROMOTION_INTERVAL: durationSchema.default('15m'),
});

export type Config = z.infer<typeof configSchema>;

/** Variables whose values an error must not repeat: secrets, and URLs that may carry a password. */
const SECRET_VARIABLES = new Set(['DATABASE_URL', 'TEMPORAL_API_KEY', 'NURTURE_API_KEY', 'NURTURE_LINK_SECRET', 'NURTURE_ERASURE_SECRET', 'SMTP_URL', 'TWILIO_AUTH_TOKEN', 'NURTURE_WEBHOOK_SECRET', 'NURTURE_CRM_WEBHOOK_SECRET']);

export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty variables mean unset, as in most twelve-factor tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = configSchema.safeParse(present);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = issue.path.join('.');
  throw new ConfigError(`${SECRET_VARIABLES.has(name) ? name : `${name}=${JSON.stringify(env[name])}`}: ${issue.message}`);
}

/** The base URL recipients reach the API's public routes at: PUBLIC_URL, else the API's own address. */
export function publicUrl(config: Config): string {
  return config.PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`;
}

export function dataDirOf(config: Config): string {
  return path.resolve(config.NURTURE_DATA_DIR ?? DEFAULT_DATA_DIR);
}

/** The deployment's send windows, as the model's cadence takes them. */
export function configuredWindows(config: Config): { email?: string; sms?: string } {
  return {
    ...(config.NURTURE_EMAIL_WINDOW && { email: formatSendWindow(config.NURTURE_EMAIL_WINDOW) }),
    ...(config.NURTURE_SMS_WINDOW && { sms: formatSendWindow(config.NURTURE_SMS_WINDOW) }),
  };
}

/** The servers `nurture worker` and `nurture api` connect to, named when missing. */
export function requiredServers(config: Config): { databaseUrl: string; temporalAddress: string } {
  if (!config.DATABASE_URL) throw new ConfigError("DATABASE_URL is required: the engine's PostgreSQL");
  if (!config.TEMPORAL_ADDRESS) throw new ConfigError('TEMPORAL_ADDRESS is required: host:port of the Temporal frontend');
  return { databaseUrl: config.DATABASE_URL, temporalAddress: config.TEMPORAL_ADDRESS };
}

/** How the engine's connections reach a secured frontend: TLS (mTLS with a client pair) and an API key; nothing for a plain one. */
export interface TemporalSecurity {
  tls?: true | { serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer }; serverNameOverride?: string };
  apiKey?: string;
}

/** The TEMPORAL_TLS_* and TEMPORAL_API_KEY settings, their files read; a missing or unreadable one is named. */
export function temporalSecurity(config: Config): TemporalSecurity {
  const { TEMPORAL_TLS: enabled, TEMPORAL_TLS_CA: ca, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_SERVER_NAME: serverName, TEMPORAL_API_KEY: apiKey } = config;
  if (Boolean(cert) !== Boolean(key)) throw new ConfigError(`${cert ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT'}: must be set with ${cert ? 'TEMPORAL_TLS_CERT' : 'TEMPORAL_TLS_KEY'} (mTLS takes both)`);
  const wantsTls = Boolean(ca || cert || serverName || apiKey) || enabled === 'true';
  if (enabled === 'false' && wantsTls) throw new ConfigError('TEMPORAL_TLS: is false, but TLS settings or TEMPORAL_API_KEY are set (an API key goes over TLS only)');
  if (!wantsTls) return {};
  const read = (variable: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${variable}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const tls = {
    ...(ca ? { serverRootCACertificate: read('TEMPORAL_TLS_CA', ca) } : {}),
    ...(cert && key ? { clientCertPair: { crt: read('TEMPORAL_TLS_CERT', cert), key: read('TEMPORAL_TLS_KEY', key) } } : {}),
    ...(serverName ? { serverNameOverride: serverName } : {}),
  };
  return { tls: Object.keys(tls).length ? tls : true, ...(apiKey ? { apiKey } : {}) };
}

export interface ApiSecrets {
  apiKey: string;
  linkSecret: string;
  erasureSecret: string;
}

/** The secrets `nurture api` needs, named when missing. */
export function requiredSecrets(config: Config): ApiSecrets {
  if (!config.NURTURE_API_KEY) throw new ConfigError('NURTURE_API_KEY is required: the admin key the API seeds');
  if (!config.NURTURE_LINK_SECRET) throw new ConfigError('NURTURE_LINK_SECRET is required: the secret message links are signed with');
  if (!config.NURTURE_ERASURE_SECRET) throw new ConfigError('NURTURE_ERASURE_SECRET is required: the key erased email addresses and phone numbers are hashed with');
  return { apiKey: config.NURTURE_API_KEY, linkSecret: config.NURTURE_LINK_SECRET, erasureSecret: config.NURTURE_ERASURE_SECRET };
}

/** Where `nurture start` keeps its embedded PostgreSQL's URL while it runs (mode 0600). */
export function localDatabaseUrlFile(dataDir: string): string {
  return path.join(dataDir, 'database.url');
}

/** The times an event may carry: from NURTURE_EVENTS_SINCE to NURTURE_EVENTS_MAX_SKEW ahead of now. */
export function eventTimeBounds(config: Config): EventTimeBounds {
  return { earliest: Date.parse(`${config.NURTURE_EVENTS_SINCE}T00:00:00Z`), maxSkewMs: durationMs(config.NURTURE_EVENTS_MAX_SKEW) };
}

/** The From of every email the engine sends (EMAIL_FROM, or a local default). */
export function senderOf(config: Config): string {
  return (config.EMAIL_FROM ?? DEFAULT_FROM).trim();
}

/**
 * What the delivery workers serve, from the variables that configure each channel; a channel that
 * is half configured stops start-up with a ConfigError naming what is missing.
 */
export function deliveryConfig(config: Config): DeliveryConfig {
  const from = senderOf(config);
  const [, , bracketed, bare] = FROM.exec(from)!;
  const fromAddress = (bracketed ?? bare)!;
  const name = senderName(config);
  const sms = twilioConfig(config);

  if ((config.SMTP_URL || sms) && !config.NURTURE_LINK_SECRET) {
    throw new ConfigError('NURTURE_LINK_SECRET: must be set (at least 16 characters) to sign the unsubscribe and tracking links of email and SMS');
  }
  if (config.SMTP_URL && !config.NURTURE_SENDER_ADDRESS) {
    throw new ConfigError("NURTURE_SENDER_ADDRESS: must be set when SMTP_URL is: every marketing email carries the sender's postal address");
  }
  if (Boolean(config.NURTURE_WEBHOOK_URL) !== Boolean(config.NURTURE_WEBHOOK_SECRET)) {
    const [missing, given] = config.NURTURE_WEBHOOK_URL ? ['NURTURE_WEBHOOK_SECRET', 'NURTURE_WEBHOOK_URL'] : ['NURTURE_WEBHOOK_URL', 'NURTURE_WEBHOOK_SECRET'];
    throw new ConfigError(`${missing}: must be set together with ${given}`);
  }

  return {
    publicUrl: publicUrl(config),
    sender: { name, company: config.NURTURE_SENDER_COMPANY ?? name, address: config.NURTURE_SENDER_ADDRESS ?? '' },
    offers: config.NURTURE_OFFERS ?? {},
    ...(config.NURTURE_LINK_SECRET ? { signingSecret: config.NURTURE_LINK_SECRET } : {}),
    ...(config.SMTP_URL
      ? { email: { smtpUrl: config.SMTP_URL, from, domain: fromAddress.split('@')[1]! } }
      : {}),
    ...(sms ? { sms } : {}),
    ...(config.NURTURE_WEBHOOK_URL && config.NURTURE_WEBHOOK_SECRET ? { webhook: { url: config.NURTURE_WEBHOOK_URL, secret: config.NURTURE_WEBHOOK_SECRET } } : {}),
  };
}

/** Twilio is configured when any TWILIO_* variable is set; then the account, token and sender must be. */
function twilioConfig(config: Config): DeliveryConfig['sms'] {
  const { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM, TWILIO_API_URL, TWILIO_STATUS_CALLBACK_URL } = config;
  if (![TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM, TWILIO_API_URL, TWILIO_STATUS_CALLBACK_URL].some(Boolean)) return undefined;
  if (!TWILIO_ACCOUNT_SID) throw new ConfigError('TWILIO_ACCOUNT_SID: must be set when another TWILIO_* variable is');
  if (!TWILIO_AUTH_TOKEN) throw new ConfigError('TWILIO_AUTH_TOKEN: must be set when another TWILIO_* variable is');
  if (!TWILIO_FROM) throw new ConfigError('TWILIO_FROM: must be set when another TWILIO_* variable is');
  return {
    accountSid: TWILIO_ACCOUNT_SID,
    authToken: TWILIO_AUTH_TOKEN,
    from: TWILIO_FROM,
    ...(TWILIO_API_URL ? { apiUrl: TWILIO_API_URL } : {}),
    statusCallbackUrl: TWILIO_STATUS_CALLBACK_URL ?? `${publicUrl(config).replace(/\/$/, '')}/webhooks/twilio/status`,
  };
}

/**
 * What the API needs to take Twilio's webhooks (inbound texts: STOP, START, HELP, replies; delivery
 * status), when Twilio is configured: the auth token their signatures are checked with.
 */
export function twilioWebhookSettings(config: Config): TwilioReplies | undefined {
  if (!config.TWILIO_AUTH_TOKEN) return undefined;
  const sender = config.NURTURE_SENDER_COMPANY ?? senderName(config);
  return {
    authToken: config.TWILIO_AUTH_TOKEN,
    helpText: config.NURTURE_SMS_HELP_TEXT ?? `${sender}: texts about our product. Reply STOP to stop them, START to have them again.`,
    stopText: config.NURTURE_SMS_STOP_TEXT ?? `${sender}: you will get no more texts from us. Reply START to have them again.`,
  };
}

function senderName(config: Config): string {
  const [, displayName, bracketed, bare] = FROM.exec(config.EMAIL_FROM ?? DEFAULT_FROM)!;
  return displayName?.trim() || (bracketed ?? bare)!;
}
