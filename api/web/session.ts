// Who is signed in to the web app: a cookie holding a rep's id (the sales inbox) or a marketer's key
// id (the marketers' pages) and an expiry, signed with the link secret (HMAC), HttpOnly and
// SameSite=Lax, scoped to /app. Deactivating the rep or revoking the key ends it, as every request
// reads them afresh.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { signPayload, verifyPayload } from '../../channels/tokens';

const COOKIE = 'nurture_desk';
const SESSION_MS = 12 * 60 * 60 * 1000;
const sessionSchema = z.union([z.object({ rep: z.string(), exp: z.number() }), z.object({ key: z.string(), exp: z.number() })]);

/** A rep by their id, or a marketer by the id of the key they signed in with (never its secret). */
export type SignedIn = { rep: string } | { key: string };

export interface SessionSettings {
  secret: string;
  /** Secure cookies when the inbox is served over HTTPS. */
  secure: boolean;
  now: () => number;
}

export function signedIn(request: FastifyRequest, { secret, now }: SessionSettings): SignedIn | undefined {
  const value = request.cookies[COOKIE];
  const session = value ? sessionSchema.safeParse(verifyPayload(value, secret)) : undefined;
  if (!session?.success || session.data.exp <= now()) return undefined;
  return 'rep' in session.data ? { rep: session.data.rep } : { key: session.data.key };
}

export function startSession(reply: FastifyReply, who: SignedIn, { secret, secure, now }: SessionSettings): void {
  const value = signPayload({ ...who, exp: now() + SESSION_MS }, secret);
  reply.setCookie(COOKIE, value, { path: '/app', httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_MS / 1000 });
}

export function endSession(reply: FastifyReply): void {
  reply.clearCookie(COOKIE, { path: '/app' });
}
