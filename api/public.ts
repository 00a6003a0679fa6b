// The public, token-signed endpoints a message's recipient reaches: the open pixel, click
// redirects, the unsubscribe page and RFC 8058 one-click unsubscribe, and Twilio's webhooks. A
// forged or altered token gets 404 and changes nothing; what a valid one means becomes an event,
// stored and relayed like any other.
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { createTwilioWebhooks, type LeadSignal } from '../activities/channels/smsWebhooks';
import { recordedLinks } from '../activities/ledger';
import { verifyToken, type LinkToken, type TokenKind } from '../activities/tokens';
import type { LeadEvent } from '../core/model/events';
import { consentChangedSignal, leadWorkflowId } from '../workflows/contract';
import type { EventRelay } from './ingest';

export interface PublicSettings {
  pool: Pool;
  client: Client;
  relay: EventRelay;
  /** The secret the delivery workers sign message links with (NURTURE_LINK_SECRET). */
  linkSecret: string;
  /** The base URL Twilio calls (PUBLIC_URL): its webhook signatures cover the full URL. */
  publicUrl: string;
  twilio?: { authToken: string; helpText: string };
  now?: () => number;
}

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const tokenParams = z.object({ token: z.string().min(1).max(2000) });

export async function registerPublicRoutes(app: FastifyInstance, settings: PublicSettings): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const now = settings.now ?? Date.now;
  const at = () => new Date(now()).toISOString();

  /** The token, when it verifies and is of one of `kinds`; otherwise the reply is a 404. */
  const tokenOf = (text: string, kinds: TokenKind[], reply: FastifyReply): LinkToken | undefined => {
    const token = verifyToken(text, settings.linkSecret);
    if (token && kinds.includes(token.kind)) return token;
    void reply.code(404).send({ error: 'unknown link', details: [{ path: 'params.token', message: 'the link is not valid' }] });
    return undefined;
  };
  const record = async (event: LeadEvent) => {
    await settings.relay.accept([event]);
  };

  routes.get('/t/o/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
    const token = tokenOf(request.params.token, ['open'], reply);
    if (!token) return reply;
    // One open per send: image proxies and re-reads fetch the pixel again.
    await record({ eventId: `open:${token.send}`, leadId: token.leadId, type: 'email_open', occurredAt: at(), properties: { sendId: token.send } });
    return reply.header('cache-control', 'no-store').type('image/gif').send(PIXEL);
  });

  routes.get('/t/c/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
    const token = tokenOf(request.params.token, ['click'], reply);
    if (!token) return reply;
    // Only to a URL recorded for this send: a valid token for another index is no open redirect.
    const url = token.link === undefined ? undefined : (await recordedLinks(settings.pool, token.send))?.[token.link];
    if (!url) return reply.code(404).send({ error: 'unknown link', details: [{ path: 'params.token', message: 'no such link in this message' }] });
    await record({ eventId: `click:${token.send}:${token.link}:${now()}`, leadId: token.leadId, type: 'email_click', occurredAt: at(), properties: { sendId: token.send, url } });
    return reply.redirect(url, 302);
  });

  routes.get('/u/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
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

  routes.post('/u/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
    const token = tokenOf(request.params.token, ['unsubscribe', 'optDown'], reply);
    if (!token) return reply;
    if (token.kind === 'unsubscribe') {
      // Suppressed before answering, so a send already on its way is stopped by the check before its provider call.
      await settings.pool.query(
        `INSERT INTO suppressions (lead_id, channel, reason, source) VALUES ($1, $2, 'unsubscribe', 'link') ON CONFLICT (lead_id, channel) DO NOTHING`,
        [token.leadId, token.channel],
      );
      await record({ eventId: `unsubscribe:${token.send}`, leadId: token.leadId, type: 'unsubscribe', occurredAt: at(), properties: { channel: token.channel as 'email' } });
    } else {
      await record({ eventId: `opt-down:${token.send}`, leadId: token.leadId, type: 'opt_down', occurredAt: at(), properties: {} });
    }
    return reply.type('text/html').send(`<!doctype html><title>Done</title><p>${token.kind === 'unsubscribe' ? 'You are unsubscribed.' : 'You will get fewer emails.'}</p>`);
  });

  if (!settings.twilio) return;
  const twilioHooks = createTwilioWebhooks({ pool: settings.pool, authToken: settings.twilio.authToken, helpText: settings.twilio.helpText, now });
  const twilioRequest = (url: string, headers: Record<string, unknown>, body: unknown) => ({
    url: new URL(url, settings.publicUrl).toString(),
    signature: typeof headers['x-twilio-signature'] === 'string' ? headers['x-twilio-signature'] : undefined,
    params: (body ?? {}) as Record<string, string>,
  });

  routes.post('/webhooks/twilio/inbound', { schema: { hide: true } }, async (request, reply) => {
    const answer = await twilioHooks.inboundMessage(twilioRequest(request.url, request.headers, request.body));
    if (answer.status !== 200) return reply.code(answer.status).send({ error: answer.body, details: [] });
    await Promise.all(answer.signals.map((signal) => forward(settings, signal, record)));
    return reply.type(answer.contentType).send(answer.body);
  });

  routes.post('/webhooks/twilio/status', { schema: { hide: true } }, async (request, reply) => {
    const answer = await twilioHooks.statusCallback(twilioRequest(request.url, request.headers, request.body));
    if (answer.status !== 200) return reply.code(answer.status).send({ error: answer.body, details: [] });
    return reply.code(200).send('');
  });
}

/** Inbound texts: replies are events like any other; consent changes go to running leads at once. */
async function forward(settings: PublicSettings, signal: LeadSignal, record: (event: LeadEvent) => Promise<void>): Promise<void> {
  if (signal.signal === 'event') return record(signal.event);
  // The suppression is already written: a lead without a workflow has nothing to be told.
  await settings.client.workflow
    .getHandle(leadWorkflowId(signal.leadId))
    .signal(consentChangedSignal, signal.change)
    .catch(() => undefined);
}
