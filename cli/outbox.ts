// The local outbox of `nurture start`: the sinks that fill it in place of an SMTP relay and Twilio,
// and `nurture outbox`, which prints the latest messages they received, one line each.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { listOutbox, outboxDir, saveEmail, saveText } from '../scripts/outbox';
import { startOutboxPage } from '../scripts/outboxPage';
import { startSmtpServer } from '../scripts/smtpSink';
import { startTwilioServer } from '../scripts/twilioServer';
import type { Part } from './engine';

/** The local SMS sink's account and sender: Twilio's shapes, nobody's numbers. */
const LOCAL_TWILIO_ACCOUNT_SID = `AC${'0'.repeat(32)}`;
const LOCAL_TWILIO_FROM = '+15005550006';

/** The lines `nurture outbox` prints: a heading, then one per message, newest first. */
export async function outboxLines(dataDir: string, { limit }: { limit: number }): Promise<string[]> {
  const dir = outboxDir(dataDir);
  const entries = await listOutbox(dir, { limit });
  if (!entries.length) return [`outbox: nothing received yet in ${dir}`];
  return [
    `outbox: the latest ${entries.length} in ${dir}, newest first`,
    ...entries.map((entry) => {
      const when = entry.receivedAt.replace('T', ' ').slice(0, 19);
      const what = entry.channel === 'email' ? `${JSON.stringify(entry.subject ?? '')}  ${path.join(dir, `${entry.id}.eml`)}` : JSON.stringify(entry.text);
      return `${when}  ${entry.channel.padEnd(5)}  ${entry.to}  ${what}`;
    }),
  ];
}

export async function printOutbox(dataDir: string, { limit = 20 }: { limit?: number } = {}): Promise<void> {
  console.log((await outboxLines(dataDir, { limit })).join('\n'));
}

export interface LocalSinks {
  /** The variables that point the delivery workers at the sinks. */
  env: Record<string, string>;
  /** What the sinks take in place of a provider, e.g. ['email', 'SMS']. */
  local: string[];
  /** The outbox's pages, when a sink runs. */
  outboxUrl?: string;
}

/**
 * A loopback SMTP server unless SMTP_URL is set, and a Twilio-compatible Messages API unless a
 * TWILIO_* variable is, both keeping what they receive in the outbox; its pages when either runs.
 */
export async function startLocalSinks(env: Record<string, string | undefined>, dataDir: string, parts: Part[]): Promise<LocalSinks> {
  const dir = outboxDir(dataDir);
  const sinks: LocalSinks = { env: {}, local: [] };
  if (!env.SMTP_URL) {
    const smtp = await startSmtpServer({ onMessage: (raw) => saveEmail(dir, raw) });
    parts.push({ name: 'SMTP sink', stop: smtp.close });
    sinks.env.SMTP_URL = smtp.url;
    sinks.local.push('email');
  }
  // As workers/deliveryConfig decides: any TWILIO_* variable means Twilio is configured.
  if (!Object.entries(env).some(([name, value]) => name.startsWith('TWILIO_') && value)) {
    const credentials = { accountSid: LOCAL_TWILIO_ACCOUNT_SID, authToken: randomBytes(16).toString('hex') };
    const sms = await startTwilioServer(credentials, (message) => saveText(dir, message));
    parts.push({ name: 'SMS sink', stop: sms.close });
    Object.assign(sinks.env, { TWILIO_ACCOUNT_SID: credentials.accountSid, TWILIO_AUTH_TOKEN: credentials.authToken, TWILIO_FROM: LOCAL_TWILIO_FROM, TWILIO_API_URL: sms.url });
    sinks.local.push('SMS');
  }
  if (!sinks.local.length) return sinks;
  const page = await startOutboxPage(dir);
  parts.push({ name: 'outbox page', stop: page.close });
  return { ...sinks, outboxUrl: page.url };
}
