// A real SMTP server on loopback (smtp-server) that keeps every message it accepts, raw, for tests
// and benchmarks. Hooks let a test act at a chosen point of a send, e.g. kill the sending worker.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpSinkHooks {
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
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Many pooled clients at once (the benchmark); the default caps connections per server lower.
    maxClients: 1000,
    onMailFrom(_address, _session, callback) {
      Promise.resolve(hooks.onMailFrom?.()).then(() => callback(), callback);
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks));
        Promise.resolve(hooks.onMessage?.()).then(() => callback(), callback);
      });
    },
  });
  // A client killed mid-conversation resets its connection; that is the point of some tests.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    hooks,
    messages: () => Promise.all(received.map((raw) => simpleParser(raw))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
