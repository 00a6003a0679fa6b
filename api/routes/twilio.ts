// Twilio's webhooks, checked by their signature: inbound texts (STOP, START, HELP, replies) and
// delivery status callbacks. Replies are events like any other; consent changes go to the running
// leads at once.
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createTwilioWebhooks, type LeadSignal, type TwilioWebhookSettings } from '../../channels/twilioWebhooks';
import { consentChangedSignal, leadWorkflowId } from '../../workflows/contract';
import type { EventRelay } from '../relay';

export interface TwilioRouteOptions extends TwilioWebhookSettings {
  client: Client;
  relay: EventRelay;
  /** The base URL Twilio calls (PUBLIC_URL): its webhook signatures cover the full URL. */
  publicUrl: string;
}

export const twilioRoutes: FastifyPluginAsyncZod<TwilioRouteOptions> = async (app, options) => {
  const { client, relay, publicUrl } = options;
  const hooks = createTwilioWebhooks(options);
  const twilioRequest = (url: string, headers: Record<string, unknown>, body: unknown) => ({
    url: new URL(url, publicUrl).toString(),
    signature: typeof headers['x-twilio-signature'] === 'string' ? headers['x-twilio-signature'] : undefined,
    params: (body ?? {}) as Record<string, string>,
  });

  /** Inbound texts: replies are events like any other; consent changes go to running leads at once. */
  const forward = async (signal: LeadSignal): Promise<void> => {
    if (signal.signal === 'event') return void (await relay.accept([signal.event]));
    // The suppression is already written: a lead without a workflow has nothing to be told.
    await client.workflow
      .getHandle(leadWorkflowId(signal.leadId))
      .signal(consentChangedSignal, signal.change)
      .catch(() => undefined);
  };

  app.post('/webhooks/twilio/inbound', { schema: { hide: true } }, async (request, reply) => {
    const answer = await hooks.inboundMessage(twilioRequest(request.url, request.headers, request.body));
    if (answer.status !== 200) return reply.code(answer.status).send({ error: answer.body, details: [] });
    await Promise.all(answer.signals.map(forward));
    return reply.type(answer.contentType).send(answer.body);
  });

  app.post('/webhooks/twilio/status', { schema: { hide: true } }, async (request, reply) => {
    const answer = await hooks.statusCallback(twilioRequest(request.url, request.headers, request.body));
    if (answer.status !== 200) return reply.code(answer.status).send({ error: answer.body, details: [] });
    return reply.code(200).send('');
  });
};
