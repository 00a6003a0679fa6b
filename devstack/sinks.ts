// The sinks of `nurture start` that fill the local outbox in place of an SMTP relay and Twilio.
import { randomBytes } from 'node:crypto';
import type { Config } from '../app/config';
import type { Part } from '../app/part';
import { outboxDir, saveEmail, saveText } from './outbox';
import { startOutboxPage } from './outboxPage';
import { startSmtpServer } from './smtpSink';
import { startTwilioServer } from './twilioServer';

/** The local SMS sink's account and sender: Twilio's shapes, nobody's numbers. */
const LOCAL_TWILIO_ACCOUNT_SID = `AC${'0'.repeat(32)}`;
const LOCAL_TWILIO_FROM = '+15005550006';

export interface LocalSinks {
  /** The settings that point the delivery workers at the sinks. */
  config: Pick<Config, 'SMTP_URL' | 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_FROM' | 'TWILIO_API_URL'>;
  /** What the sinks take in place of a provider, e.g. ['email', 'SMS']. */
  local: string[];
  /** The outbox's pages, when a sink runs. */
  outboxUrl?: string;
}

/**
 * A loopback SMTP server unless SMTP_URL is set, and a Twilio-compatible Messages API unless a
 * TWILIO_* variable is, both keeping what they receive in the outbox; its pages when either runs.
 */
export async function startLocalSinks(config: Config, dataDir: string, parts: Part[]): Promise<LocalSinks> {
  const dir = outboxDir(dataDir);
  const sinks: LocalSinks = { config: {}, local: [] };
  if (!config.SMTP_URL) {
    const smtp = await startSmtpServer({ onMessage: (raw) => saveEmail(dir, raw) });
    parts.push({ name: 'SMTP sink', stop: smtp.close });
    sinks.config.SMTP_URL = smtp.url;
    sinks.local.push('email');
  }
  // As app/config decides: any TWILIO_* variable means Twilio is configured.
  if (!(Object.keys(config) as (keyof Config)[]).some((name) => name.startsWith('TWILIO_') && config[name] !== undefined)) {
    const credentials = { accountSid: LOCAL_TWILIO_ACCOUNT_SID, authToken: randomBytes(16).toString('hex') };
    const sms = await startTwilioServer(credentials, (message) => saveText(dir, message));
    parts.push({ name: 'SMS sink', stop: sms.close });
    Object.assign(sinks.config, { TWILIO_ACCOUNT_SID: credentials.accountSid, TWILIO_AUTH_TOKEN: credentials.authToken, TWILIO_FROM: LOCAL_TWILIO_FROM, TWILIO_API_URL: sms.url });
    sinks.local.push('SMS');
  }
  if (!sinks.local.length) return sinks;
  const page = await startOutboxPage(dir);
  parts.push({ name: 'outbox page', stop: page.close });
  return { ...sinks, outboxUrl: page.url };
}
