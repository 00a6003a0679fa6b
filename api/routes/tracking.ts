// The public, token-signed endpoints a message's recipient reaches: the open pixel, click redirects,
// the unsubscribe page and RFC 8058 one-click unsubscribe. A forged or altered token gets 404 and
// changes nothing; what a valid one means becomes an event, stored and relayed like any other.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply } from 'fastify';
import type { Pool } from 'pg';
import { z } from 'zod';
import { verifyToken, type LinkToken, type TokenKind } from '../../channels/tokens';
import { recordedLinks } from '../../db/repositories/sends';
import { recordConsent } from '../../db/repositories/consent';
import type { EventRelay } from '../relay';

export interface TrackingRouteOptions {
  pool: Pool;
  relay: EventRelay;
  /** The secret the delivery workers sign message links with (NURTURE_LINK_SECRET). */
  linkSecret: string;
  now?: () => number;
}

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const tokenParams = z.object({ token: z.string().min(1).max(2000) });

export const trackingRoutes: FastifyPluginAsyncZod<TrackingRouteOptions> = async (app, { pool, relay, linkSecret, now = Date.now }) => {
  const at = () => new Date(now()).toISOString();

  /** The token, when it verifies and is of one of `kinds`; otherwise the reply is a 404. */
  const tokenOf = (text: string, kinds: TokenKind[], reply: FastifyReply): LinkToken | undefined => {
    const token = verifyToken(text, linkSecret);
    if (token && kinds.includes(token.kind)) return token;
    void reply.code(404).send({ error: 'unknown link', details: [{ path: 'params.token', message: 'the link is not valid' }] });
    return undefined;
  };

  app.get('/t/o/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
    const token = tokenOf(request.params.token, ['open'], reply);
    if (!token) return reply;
    // One open per send: image proxies and re-reads fetch the pixel again.
    await relay.accept([{ eventId: `open:${token.send}`, leadId: token.leadId, type: 'email_open', occurredAt: at(), properties: { sendId: token.send } }]);
    return reply.header('cache-control', 'no-store').type('image/gif').send(PIXEL);
  });

  app.get('/t/c/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
    const token = tokenOf(request.params.token, ['click'], reply);
    if (!token) return reply;
    // Only to a URL recorded for this send: a valid token for another index is no open redirect.
    const url = token.link === undefined ? undefined : (await recordedLinks(pool, token.send))?.[token.link];
    if (!url) return reply.code(404).send({ error: 'unknown link', details: [{ path: 'params.token', message: 'no such link in this message' }] });
    await relay.accept([{ eventId: `click:${token.send}:${token.link}:${now()}`, leadId: token.leadId, type: 'email_click', occurredAt: at(), properties: { sendId: token.send, url } }]);
    return reply.redirect(url, 302);
  });

  app.get('/u/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
    const token = tokenOf(request.params.token, ['unsubscribe', 'optDown'], reply);
    if (!token) return reply;
    const action = token.kind === 'optDown' ? 'Receive fewer emails' : 'Unsubscribe';
    // A page with a button, not an action on GET: mail scanners follow every link they see.
    return reply.type('text/html').send(
      `<!doctype html><meta name="viewport" content="width=device-width"><title>${action}</title>` +
        `<form method="post"><p>${action === 'Unsubscribe' ? 'Stop these emails?' : 'Get fewer emails from us?'}</p>` +
        `<button type="submit">${action}</button></form>`,
    );
  });

  app.post('/u/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
    const token = tokenOf(request.params.token, ['unsubscribe', 'optDown'], reply);
    if (!token) return reply;
    if (token.kind === 'unsubscribe') {
      // Recorded before answering, so a send already on its way is stopped by the check before its provider call.
      const when = now();
      await recordConsent(pool, [{ leadId: token.leadId, channel: token.channel as 'email', granted: false, source: 'link', evidence: { send: token.send }, at: when }]);
      await relay.accept([{ eventId: `unsubscribe:${token.send}`, leadId: token.leadId, type: 'unsubscribe', occurredAt: new Date(when).toISOString(), properties: { channel: token.channel as 'email' } }]);
    } else {
      await relay.accept([{ eventId: `opt-down:${token.send}`, leadId: token.leadId, type: 'opt_down', occurredAt: at(), properties: {} }]);
    }
    return reply.type('text/html').send(`<!doctype html><title>Done</title><p>${token.kind === 'unsubscribe' ? 'You are unsubscribed.' : 'You will get fewer emails.'}</p>`);
  });
};
