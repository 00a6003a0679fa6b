// The deployment's configuration: one zod schema over environment variables, with the defaults that
// run the engine embedded. Pure: callers pass the environment in.
import { z } from 'zod';
import { formatSendWindow, parseSendWindow, sendWindowSchema, windowWithin } from './sendWindow';

const optionalUrl = z.string().trim().min(1).optional();
/** Texts to consumers are only lawful in these local hours (TCPA and most national rules). */
const LEGAL_SMS_HOURS = parseSendWindow('08:00-21:00,mon-sun');

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
