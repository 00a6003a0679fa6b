// The HTTP API, assembled: cross-cutting plugins (correlation ids, errors, docs, metrics, CORS, and
// API keys on /v1) and one plugin per resource, with the zod schemas of the core as request
// validation and as the OpenAPI document served at /docs.
import formBody from '@fastify/formbody';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import type { InAppStream } from '../db/repositories/inAppMessages';
import type { LeadStartOptions } from './leadWorkflows';
import auth from './plugins/auth';
import correlation, { requestCorrelationId } from './plugins/correlation';
import cors from './plugins/cors';
import docs from './plugins/docs';
import errors from './plugins/errors';
import inputPolicy from './plugins/inputPolicy';
import metrics from './plugins/metrics';
import { RequestLog } from './plugins/requestLog';
import type { EventRelay } from './relay';
import { eventRoutes, type EventTimeBounds } from './routes/events';
import { funnelRoutes } from './routes/funnel';
import { experimentRoutes } from './routes/experiments';
import { handoffRoutes } from './routes/handoffs';
import { repRoutes } from './routes/reps';
import { sequenceRoutes } from './routes/sequences';
import { salesLinkRoutes } from './routes/salesLinks';
import { crmWebhookRoutes } from './routes/crmWebhook';
import { healthRoutes } from './routes/health';
import { inAppRoutes } from './routes/inApp';
import { keyRoutes } from './routes/keys';
import { leadRoutes } from './routes/leads';
import { trackingRoutes } from './routes/tracking';
import { twilioRoutes } from './routes/twilio';
import type { TwilioReplies } from '../channels/twilioWebhooks';
import type { WebOptions } from './web/kit';
import { webApp } from './web/pages';

interface PublicSettings {
  /** The secret the delivery workers sign message links with (NURTURE_LINK_SECRET). */
  linkSecret: string;
  /** The base URL Twilio calls (PUBLIC_URL): its webhook signatures cover the full URL. */
  publicUrl: string;
  twilio?: TwilioReplies;
  /** NURTURE_CRM_WEBHOOK_SECRET: with it, a CRM posts outcomes to /webhooks/crm, signed. */
  crmWebhookSecret?: string;
  /** The web app's sign-in mailer, live feed of task changes, catalog and promotions; without a mailer reps cannot sign in, without a feed pages do not update live, without a catalog there is no preview, without promotions no promoting from the page. */
  web?: Pick<WebOptions, 'mailer' | 'feed' | 'catalog' | 'promotions'>;
  now?: () => number;
}

export interface ApiDependencies {
  pool: Pool;
  client: Client;
  relay: EventRelay;
  /** Where new lead workflows start (the task queue of the lead workers). */
  start?: LeadStartOptions;
  /** Requests per minute per API key. */
  rateLimitPerMinute?: number;
  /** Live in-app updates for the SSE stream; absent, the stream is not served. */
  inAppStream?: InAppStream;
  /** The public routes (tracking, unsubscribe, Twilio); absent, they are not served. */
  public?: PublicSettings;
  /** Browser origins that may post events (`*`: any); absent, no route answers CORS. */
  corsOrigins?: '*' | string[];
  /** How long an action on a handoff waits to answer with the task's new state. */
  handoffSettleMs?: number;
  /** The times an event may carry (NURTURE_EVENTS_SINCE, NURTURE_EVENTS_MAX_SKEW). */
  eventTimeBounds?: EventTimeBounds;
  /** The key of the erased identifiers' hashes (NURTURE_ERASURE_SECRET). */
  erasureSecret: string;
  /** Request lines go here (pino); absent, the API logs nothing. */
  logger?: FastifyBaseLogger;
  /** The rest of the process's Prometheus metrics (the workers' and the Temporal SDK's), served after the API's own. */
  processMetrics?: () => Promise<string>;
}

export async function buildApi(deps: ApiDependencies): Promise<FastifyInstance> {
  const { pool, client, relay } = deps;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    logController: new RequestLog(),
    genReqId: requestCorrelationId,
    bodyLimit: 5 * 1024 * 1024,
    // Signed link tokens in paths run to a few hundred characters.
    routerOptions: { maxParamLength: 2_000 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(correlation);
  await app.register(errors);
  await app.register(inputPolicy);
  await app.register(docs);
  await app.register(metrics, { processMetrics: deps.processMetrics });
  // Registered outside /v1, so a preflight (which browsers send without a key) is answered first.
  if (deps.corsOrigins) await app.register(cors, { origins: deps.corsOrigins });
  // Twilio's webhooks and RFC 8058 one-click unsubscribes are form-encoded.
  await app.register(formBody);

  await app.register(healthRoutes, { pool, client });
  if (deps.public) {
    await app.register(trackingRoutes, { pool, relay, linkSecret: deps.public.linkSecret, now: deps.public.now });
    await app.register(salesLinkRoutes, { pool, client, linkSecret: deps.public.linkSecret, settleMs: deps.handoffSettleMs, now: deps.public.now });
    await app.register(webApp, {
      pool,
      client,
      secret: deps.public.linkSecret,
      publicUrl: deps.public.publicUrl,
      settleMs: deps.handoffSettleMs,
      now: deps.public.now,
      ...deps.public.web,
    });
    if (deps.public.crmWebhookSecret) await app.register(crmWebhookRoutes, { pool, client, secret: deps.public.crmWebhookSecret, now: deps.public.now });
    if (deps.public.twilio) await app.register(twilioRoutes, { pool, client, relay, publicUrl: deps.public.publicUrl, ...deps.public.twilio, now: deps.public.now });
  }
  await app.register(
    async (v1) => {
      await v1.register(auth, { pool, rateLimitPerMinute: deps.rateLimitPerMinute });
      await v1.register(keyRoutes, { pool });
      await v1.register(eventRoutes, { relay, ...(deps.eventTimeBounds ? { timeBounds: deps.eventTimeBounds } : {}) });
      await v1.register(leadRoutes, { pool, client, start: deps.start, erasureSecret: deps.erasureSecret });
      await v1.register(inAppRoutes, { pool, relay, stream: deps.inAppStream });
      await v1.register(funnelRoutes, { pool });
      await v1.register(experimentRoutes, { pool });
      await v1.register(sequenceRoutes, { pool });
      await v1.register(handoffRoutes, { pool, client, settleMs: deps.handoffSettleMs });
      await v1.register(repRoutes, { pool });
    },
    { prefix: '/v1' },
  );
  return app;
}
