// A Twilio-compatible Messages API on loopback, for the real SDK to talk to: the local SMS sink of
// `nurture start` (into the outbox) and the tests' Twilio. It checks the account's basic auth,
// answers like Twilio (201 with a queued message, or Twilio's error JSON), and records every message
// it accepted.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedMessage {
  sid: string;
  accountSid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  statusCallback?: string;
}

/** A Twilio error answer, e.g. `{ status: 400, code: 21211, message: "Invalid 'To' Phone Number" }`. */
interface TwilioError {
  status: number;
  code: number;
  message: string;
}

export interface TwilioServer {
  /** The base to give the SDK (TWILIO_API_URL). */
  url: string;
  /** Messages accepted, in order. */
  received: ReceivedMessage[];
  /** Answers every message to `to` with `error` from now on, as Twilio does for a bad number. */
  refuse(to: string, error: TwilioError): void;
  close(): Promise<void>;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\.json$/;

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

/** `onMessage` runs before Twilio's answer, so a message the SDK saw accepted is kept. */
export async function startTwilioServer(credentials: TwilioCredentials, onMessage?: (message: ReceivedMessage) => Promise<unknown>): Promise<TwilioServer> {
  const received: ReceivedMessage[] = [];
  const refusals = new Map<string, TwilioError>();
  const expectedAuth = `Basic ${Buffer.from(`${credentials.accountSid}:${credentials.authToken}`).toString('base64')}`;

  const server = createServer((request, response) => {
    handle(request, response).catch((err: Error) => answer(response, 500, { code: 20500, message: err.message, status: 500 }));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const match = MESSAGES_PATH.exec(path);
    if (request.method !== 'POST' || !match) return answer(response, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    if (request.headers.authorization !== expectedAuth || match[1] !== credentials.accountSid) {
      return answer(response, 401, { code: 20003, message: 'Authenticate', status: 401 });
    }
    const form = new URLSearchParams(await readBody(request));
    const to = form.get('To') ?? '';
    const body = form.get('Body') ?? '';
    if (!to || !body || !(form.get('From') || form.get('MessagingServiceSid'))) {
      return answer(response, 400, { code: 21604, message: "A 'To', 'Body' and 'From' or 'MessagingServiceSid' are required", status: 400 });
    }
    const refusal = refusals.get(to);
    if (refusal) return answer(response, refusal.status, { ...refusal, more_info: `https://www.twilio.com/docs/errors/${refusal.code}` });

    const message: ReceivedMessage = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      accountSid: credentials.accountSid,
      to,
      body,
      ...optional('from', form.get('From')),
      ...optional('messagingServiceSid', form.get('MessagingServiceSid')),
      ...optional('statusCallback', form.get('StatusCallback')),
    };
    received.push(message);
    await onMessage?.(message);
    const now = new Date().toUTCString();
    answer(response, 201, {
      sid: message.sid,
      account_sid: message.accountSid,
      to: message.to,
      from: message.from ?? null,
      messaging_service_sid: message.messagingServiceSid ?? null,
      body: message.body,
      status: 'queued',
      direction: 'outbound-api',
      num_segments: '1',
      date_created: now,
      date_updated: now,
      uri: `/2010-04-01/Accounts/${message.accountSid}/Messages/${message.sid}.json`,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    refuse: (to, error) => refusals.set(to, error),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}
