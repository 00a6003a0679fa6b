// The loopback SMTP sink, keeping every message it accepts in memory, raw, for tests and
// benchmarks. Hooks let a test act at a chosen point of a send, e.g. kill the sending worker.
import { simpleParser, type ParsedMail } from 'mailparser';
import { startSmtpServer } from '../../devstack/smtpSink';

interface SmtpSinkHooks {
  /** The client sent MAIL FROM: a send has begun, nothing of it is accepted yet. */
  onMailFrom?: () => Promise<void> | void;
  /** The whole message is stored in `received`; the client has not yet heard the 250 that accepts it. */
  onMessage?: () => Promise<void> | void;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  /** Every message accepted, raw, in order. */
  received: Buffer[];
  hooks: SmtpSinkHooks;
  /** The received messages, parsed. */
  messages(): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: Buffer[] = [];
  const hooks: SmtpSinkHooks = {};
  const server = await startSmtpServer({
    onMailFrom: () => hooks.onMailFrom?.(),
    onMessage: (raw) => {
      received.push(raw);
      return hooks.onMessage?.();
    },
  });
  return {
    url: server.url,
    received,
    hooks,
    messages: () => Promise.all(received.map((raw) => simpleParser(raw))),
    close: server.close,
  };
}
