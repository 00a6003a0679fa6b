// The deployment's configuration: one zod schema over environment variables, with the defaults that
// run the engine embedded. Pure: callers pass the environment in.
import { z } from 'zod';
import { formatSendWindow, parseSendWindow, sendWindowSchema, windowWithin } from '../core/model/sendWindow';

const optionalUrl = z.string().trim().min(1).optional();
/** Texts to consumers are only lawful in these local hours (TCPA and most national rules). */
const LEGAL_SMS_HOURS = parseSendWindow('08:00-21:00,mon-sun');

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

export const configSchema = z.object({
  /** Connect to this PostgreSQL instead of starting the embedded one. */
  DATABASE_URL: optionalUrl.refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), {
    message: 'must be a postgres:// URL',
  }),
  /** Connect to this Temporal frontend (host:port) instead of starting the dev server. */
  TEMPORAL_ADDRESS: z.string().trim().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  /** Where the embedded servers keep their data. */
  NURTURE_DATA_DIR: z.string().trim().min(1).optional(),
  /** Port of the Temporal Web UI of the embedded dev server; a free one when unset. */
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  /** The HTTP API's port. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** The address the HTTP API listens on; loopback when unset, 0.0.0.0 in a container. */
  HOST: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address to listen on, e.g. 0.0.0.0' }).optional(),
  /** Browser origins that may post events (POST /v1/events); no CORS headers at all when unset. */
  NURTURE_CORS_ORIGINS: corsOriginsSchema.optional(),
  /** The public base URL of the API, used in message links and to check Twilio's signatures. */
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** An admin API key, seeded at start; `nurture start` makes and keeps a dev key when unset. */
  NURTURE_API_KEY: z.string().trim().min(16, 'must be at least 16 characters').optional(),
  /** When email may go out in the lead's local time, `HH:MM-HH:MM[,days]`; the model's default when unset. */
  NURTURE_EMAIL_WINDOW: z.string().pipe(sendWindowSchema).optional(),
  /** The same for SMS, which can never be wider than the legal 08:00–21:00. */
  NURTURE_SMS_WINDOW: z
    .string()
    .pipe(sendWindowSchema)
    .refine((window) => windowWithin(window, LEGAL_SMS_HOURS), `must stay inside the legal ${formatSendWindow(LEGAL_SMS_HOURS)}`)
    .optional(),
  /** The secret message links are signed with (open pixel, clicks, unsubscribe). */
  NURTURE_LINK_SECRET: z.string().trim().min(16, 'must be at least 16 characters').optional(),
  /** The least severe log lines written (JSON lines on stdout). */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Where `nurture worker` serves its Prometheus metrics (the API serves its own at /metrics); 0 picks a free port. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
});

export type Config = z.infer<typeof configSchema>;

/** A configuration value that failed validation, named so start-up can stop with one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty variables mean unset, as in most twelve-factor tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = configSchema.safeParse(present);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = issue.path.join('.');
  throw new ConfigError(`${name}=${JSON.stringify(env[name])}: ${issue.message}`);
}
