// Who is signed in to the sales inbox: a cookie holding the rep's id and an expiry, signed with the
// link secret (HMAC), HttpOnly and SameSite=Lax, scoped to /app. Deactivating a rep ends it, as
// every request reads the rep afresh.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { signPayload, verifyPayload } from '../../channels/tokens';

const COOKIE = 'nurture_desk';
const SESSION_MS = 12 * 60 * 60 * 1000;
const sessionSchema = z.object({ rep: z.string(), exp: z.number() });

export interface SessionSettings {
  secret: string;
  /** Secure cookies when the inbox is served over HTTPS. */
  secure: boolean;
  now: () => number;
}

export function signedInRep(request: FastifyRequest, { secret, now }: SessionSettings): string | undefined {
  const value = request.cookies[COOKIE];
  const session = value ? sessionSchema.safeParse(verifyPayload(value, secret)) : undefined;
  return session?.success && session.data.exp > now() ? session.data.rep : undefined;
}

export function startSession(reply: FastifyReply, rep: string, { secret, secure, now }: SessionSettings): void {
  const value = signPayload({ rep, exp: now() + SESSION_MS }, secret);
  reply.setCookie(COOKIE, value, { path: '/app', httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_MS / 1000 });
}

export function endSession(reply: FastifyReply): void {
  reply.clearCookie(COOKIE, { path: '/app' });
}
