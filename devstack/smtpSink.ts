// A real SMTP server on loopback (smtp-server) that accepts every message and hands it over raw:
// the local email sink of `nurture start` (into the outbox) and the tests' sink (into memory).
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SmtpSinkHandlers {
  /** The client sent MAIL FROM: a send has begun, nothing of it is accepted yet. */
  onMailFrom?: () => Promise<void> | void;
  /** The whole message; the client hears the 250 that accepts it once this resolves (a throw refuses it). */
  onMessage: (raw: Buffer) => Promise<unknown> | void;
}

export interface SmtpSinkServer {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  close(): Promise<void>;
}

export async function startSmtpServer(handlers: SmtpSinkHandlers): Promise<SmtpSinkServer> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Many pooled clients at once (the benchmark); the default caps connections per server lower.
    maxClients: 1000,
    onMailFrom(_address, _session, callback) {
      Promise.resolve(handlers.onMailFrom?.()).then(() => callback(), callback);
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        Promise.resolve()
          .then(() => handlers.onMessage(Buffer.concat(chunks)))
          .then(() => callback(), callback);
      });
    },
  });
  // A client killed mid-conversation resets its connection: nothing to report.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
