// Signed tokens for the links in a message (open pixel, click redirect, unsubscribe, fewer emails):
// the payload in base64url, then an HMAC-SHA256 of it. A forged or altered token does not verify.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenKind = 'open' | 'click' | 'unsubscribe' | 'optDown';

export interface LinkToken {
  kind: TokenKind;
  /** The send's idempotency key: which touch the link belongs to. */
  send: string;
  leadId: string;
  channel: string;
  /** For clicks: the index of the URL recorded for the send. */
  link?: number;
}

export function signToken(token: LinkToken, secret: string): string {
  return signPayload(token, secret);
}

/** The token's payload, or undefined when it was not signed with `secret` or is malformed. */
export function verifyToken(text: string, secret: string): LinkToken | undefined {
  return verifyPayload(text, secret) as LinkToken | undefined;
}

/** Any JSON payload, signed the same way (a sales action link's, for one). */
export function signPayload(payload: object, secret: string): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(body, secret)}`;
}

/** A signed payload as it was signed (the caller validates its shape), or undefined when forged or malformed. */
export function verifyPayload(text: string, secret: string): unknown {
  const [body, signature, ...rest] = text.split('.');
  if (!body || !signature || rest.length) return undefined;
  const expected = Buffer.from(mac(body, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function mac(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
