// The HTTP API: ingestion, leads, sales handoffs and health, on fastify with the zod schemas of the
// core as request validation and as the OpenAPI document served at /docs.
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import formBody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { leadEventSchema } from '../core/model/events';
import { leadSchema } from '../core/model/lead';
import { upsertLead, type LeadStartOptions } from '../workflows/client';
import { acceptSignal, acceptSchema, leadWorkflowId, meetingBookedSignal, rejectSchema, rejectSignal, stateQuery } from '../workflows/contract';
import { dismissInAppMessage, listInAppMessages, markInAppSeen, type InAppStream } from '../activities/channels/inApp';
import { allows, createApiKey, findApiKey, scopeSchema, type ApiKey, type Scope } from './keys';
import type { EventRelay } from './ingest';
import { funnelQuerySchema, funnelReport } from './funnel';
import { columnMappingSchema, importLeadsCsv } from './import';
import { createApiMetrics } from './metrics';
import { REQUEST_ID_HEADER, requestCorrelationId, runAsRequest } from './correlation';
import { RequestLog } from './requestLog';
import { eraseLead, profileOf, saveLead } from './leads';
import type { Readable } from 'node:stream';
import { registerPublicRoutes, type PublicSettings } from './public';

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
  public?: Omit<PublicSettings, 'pool' | 'client' | 'relay'>;
  /** Browser origins that may post events (`*`: any); absent, no route answers CORS. */
  corsOrigins?: '*' | string[];
  /** How long an action on a handoff waits to answer with the task's new state. */
  handoffSettleMs?: number;
  /** Request lines go here (pino); absent, the API logs nothing. */
  logger?: FastifyBaseLogger;
  /** The rest of the process's Prometheus metrics (the workers' and the Temporal SDK's), served after the API's own. */
  processMetrics?: () => Promise<string>;
}

export const MAX_EVENTS_PER_BATCH = 1_000;

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKey;
  }
  interface FastifyContextConfig {
    scope?: Scope;
  }
}

const errorBody = z.object({ error: z.string(), details: z.array(z.object({ path: z.string(), message: z.string() })) });
type ErrorBody = z.infer<typeof errorBody>;

function problem(reply: FastifyReply, status: number, error: string, details: ErrorBody['details'] = []): FastifyReply {
  return reply.code(status).send({ error, details });
}

const eventBatchSchema = z.object({ events: z.array(leadEventSchema).min(1).max(MAX_EVENTS_PER_BATCH) });
/** One event, or a batch of them (the schema the OpenAPI document shows). */
const eventsBody = z.union([leadEventSchema, eventBatchSchema]);

/**
 * A union's error only says that no branch matched; the body is parsed again with the branch it
 * meant (a batch has `events`), so each problem is named down to its field.
 */
function eventsBodyIssues(body: unknown): ErrorBody['details'] {
  const meant = body !== null && typeof body === 'object' && 'events' in body ? eventBatchSchema : leadEventSchema;
  const result = meant.safeParse(body);
  return result.success ? [] : result.error.issues.map((issue) => ({ path: ['body', ...issue.path.map(String)].join('.'), message: issue.message }));
}

const handoffParams = z.object({ id: z.string().min(1).max(200) });
const leadParams = z.object({ id: z.string().min(1).max(200) });
const messageParams = leadParams.extend({ messageId: z.string().min(1).max(200) });
const listQuery = z.object({
  status: z.enum(['open', 'accepted', 'rejected', 'meeting_booked', 'no_response']).optional(),
  owner: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(400).optional(),
});

interface HandoffRow {
  id: string;
  lead_id: string;
  status: string;
  owner: string | null;
  escalations: number;
  context: Record<string, unknown>;
  reason_code: string | null;
  note: string | null;
  opened_at: Date;
  sla_due_at: Date | null;
  closed_at: Date | null;
}

function handoffView(row: HandoffRow, withContext: boolean) {
  return {
    id: row.id,
    leadId: row.lead_id,
    status: row.status,
    owner: row.owner,
    escalations: row.escalations,
    openedAt: row.opened_at.toISOString(),
    slaDueAt: row.sla_due_at?.toISOString() ?? null,
    closedAt: row.closed_at?.toISOString() ?? null,
    reasonCode: row.reason_code,
    note: row.note,
    ...(withContext ? { context: row.context } : {}),
  };
}

export async function buildApi(deps: ApiDependencies): Promise<FastifyInstance> {
  // Signed link tokens in paths run to a few hundred characters.
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    logController: new RequestLog(),
    genReqId: requestCorrelationId,
    bodyLimit: 5 * 1024 * 1024,
    routerOptions: { maxParamLength: 2_000 },
  }).withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  // After the body is read (whose stream callbacks run outside any request), so that the handler and
  // what it starts, the relay's signals among them, run as this request.
  app.addHook('preHandler', (request, _reply, done) => runAsRequest(request.id, done));
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err: FastifyError, _request, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const details = err.validation.map((issue) => ({
        path: [where, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
        message: issue.message ?? 'is invalid',
      }));
      return problem(reply, 400, `invalid ${where}`, details);
    }
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) return problem(reply, 400, 'malformed JSON', [{ path: 'body', message: err.message }]);
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return problem(reply, 400, 'empty body', [{ path: 'body', message: err.message }]);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return problem(reply, 413, 'body too large', [{ path: 'body', message: err.message }]);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return problem(reply, 415, 'unsupported media type', [{ path: 'content-type', message: err.message }]);
    if (err.statusCode === 429) return problem(reply, 429, 'rate limit exceeded', [{ path: 'authorization', message: err.message }]);
    reply.log.error(err);
    return problem(reply, 500, 'internal error');
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'nurture-engine API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  if (deps.corsOrigins) {
    const ingest = {
      origin: deps.corsOrigins,
      methods: ['POST'],
      // A page may pass its own correlation id, and read the one the API answers with.
      allowedHeaders: ['Authorization', 'Content-Type', REQUEST_ID_HEADER],
      exposedHeaders: [REQUEST_ID_HEADER],
      maxAge: 600,
    };
    // Registered here, outside /v1, so a preflight (which browsers send without Authorization) is
    // answered before the key check. Only the ingest route answers browsers.
    await app.register(cors, {
      delegator: (request, done) => done(null, request.url.split('?')[0] === '/v1/events' ? ingest : { origin: false }),
    });
  }

  // Twilio's webhooks and RFC 8058 one-click unsubscribes are form-encoded.
  await app.register(formBody);
  // A CSV upload is streamed to the importer, not buffered.
  app.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
  if (deps.public) await registerPublicRoutes(app, { ...deps.public, pool: deps.pool, client: deps.client, relay: deps.relay });

  const metrics = createApiMetrics();
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const [own, rest] = await Promise.all([metrics.registry.metrics(), deps.processMetrics?.() ?? '']);
    return reply.type(metrics.registry.contentType).send(`${own}\n${rest}`);
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const [postgres, temporal] = await Promise.allSettled([deps.pool.query('SELECT 1'), deps.client.workflowService.getSystemInfo({})]);
    const checks = { postgres: postgres.status === 'fulfilled', temporal: temporal.status === 'fulfilled' };
    return reply.code(checks.postgres && checks.temporal ? 200 : 503).send({ status: checks.postgres && checks.temporal ? 'ready' : 'unavailable', checks });
  });

  await app.register(async (v1) => {
    await v1.register(rateLimit, {
      max: deps.rateLimitPerMinute ?? 6_000,
      timeWindow: '1 minute',
      keyGenerator: (request) => request.apiKey?.id ?? request.ip,
    });
    // Authentication before rate limiting, so that limits count per key.
    v1.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers.authorization ?? '';
      const secret = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (!secret) return problem(reply, 401, 'missing API key', [{ path: 'authorization', message: 'send Authorization: Bearer <key>' }]);
      const key = await findApiKey(deps.pool, secret);
      if (!key) return problem(reply, 401, 'unknown API key', [{ path: 'authorization', message: 'the key is unknown or revoked' }]);
      const scope = request.routeOptions.config.scope;
      if (scope && !allows(key, scope)) return problem(reply, 403, `this key lacks the ${scope} scope`, [{ path: 'authorization', message: `needs scope ${scope}` }]);
      request.apiKey = key;
    });
    const routes = v1.withTypeProvider<ZodTypeProvider>();

    routes.post(
      '/keys',
      { config: { scope: 'admin' }, schema: { body: z.object({ name: z.string().trim().min(1).max(100), scopes: z.array(scopeSchema).min(1) }) } },
      async (request, reply) => {
        const { key, secret } = await createApiKey(deps.pool, request.body.name, [...new Set(request.body.scopes)]);
        // The secret is shown this once; only its hash is kept.
        return reply.code(201).send({ ...key, secret });
      },
    );

    routes.post(
      '/events',
      { config: { scope: 'ingest' }, attachValidation: true, schema: { body: eventsBody, response: { 202: z.object({ accepted: z.number(), duplicates: z.number() }) } } },
      async (request, reply) => {
        if (request.validationError) return problem(reply, 400, 'invalid body', eventsBodyIssues(request.body));
        const events = 'events' in request.body ? request.body.events : [request.body];
        const stored = await deps.relay.accept(events);
        metrics.events.inc({ outcome: 'accepted' }, stored.accepted);
        metrics.events.inc({ outcome: 'duplicate' }, stored.duplicates);
        return reply.code(202).send({ accepted: stored.accepted, duplicates: stored.duplicates });
      },
    );

    routes.post('/leads', { config: { scope: 'ingest' }, schema: { body: leadSchema } }, async (request, reply) => {
      const created = await saveLead(deps.pool, request.body);
      try {
        await upsertLead(deps.client, request.body, deps.start);
      } catch (err) {
        return problem(reply, 503, 'the lead is saved but its workflow could not be reached; send it again', [{ path: 'temporal', message: (err as Error).message }]);
      }
      return reply.code(created ? 201 : 200).send({ id: request.body.id, created });
    });

    const importQuery = z.object({
      mapping: z
        .string()
        .max(4000)
        .transform((text, ctx) => {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"email":"E-mail"}' });
            return z.NEVER;
          }
        })
        .pipe(columnMappingSchema)
        .optional(),
    });
    routes.post('/leads/import', { config: { scope: 'ingest' }, schema: { querystring: importQuery } }, async (request, reply) => {
      if (!request.headers['content-type']?.startsWith('text/csv')) {
        return problem(reply, 415, 'send the file as text/csv', [{ path: 'content-type', message: `got ${request.headers['content-type'] ?? 'none'}` }]);
      }
      const result = await importLeadsCsv(request.body as Readable, { pool: deps.pool, client: deps.client, start: deps.start }, request.query.mapping);
      metrics.leadsImported.inc({ outcome: 'imported' }, result.imported);
      metrics.leadsImported.inc({ outcome: 'updated' }, result.updated);
      metrics.leadsImported.inc({ outcome: 'failed' }, new Set(result.failed.map((failure) => failure.row)).size);
      return result;
    });

    const leadListQuery = z.object({
      stage: z.string().max(50).optional(),
      segment: z.string().max(200).optional(),
      source: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().max(400).optional(),
    });
    routes.get('/leads', { config: { scope: 'read' }, schema: { querystring: leadListQuery } }, async (request) => {
      const { stage, segment, source, limit, cursor } = request.query;
      // Keyset pagination on the lead id: stable while leads are added.
      const { rows } = await deps.pool.query(
        `SELECT * FROM leads WHERE erased_at IS NULL
           AND ($1::text IS NULL OR stage = $1) AND ($2::text IS NULL OR segment = $2) AND ($3::text IS NULL OR source = $3)
           AND ($4::text IS NULL OR id > $4)
         ORDER BY id LIMIT $5`,
        [stage ?? null, segment ?? null, source ?? null, cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : null, limit + 1],
      );
      const page = rows.slice(0, limit) as Record<string, unknown>[];
      const last = page.at(-1);
      return {
        items: page.map((row) => ({ id: row.id, ...profileOf(row) })),
        nextCursor: rows.length > limit && last ? Buffer.from(String(last.id)).toString('base64url') : null,
      };
    });

    routes.delete('/leads/:id', { config: { scope: 'admin' }, schema: { params: leadParams } }, async (request, reply) => {
      const { id } = request.params;
      const erased = await eraseLead(deps.pool, id);
      if (!erased) return problem(reply, 404, 'no such lead', [{ path: 'params.id', message: `no lead ${id}` }]);
      // The workflow ends too; one that already ended (or never started) has nothing left to stop.
      await deps.client.workflow
        .getHandle(leadWorkflowId(id))
        .terminate('erased on request')
        .catch(() => undefined);
      return reply.code(200).send({ id, erased: true });
    });

    routes.get('/leads/:id', { config: { scope: 'read' }, schema: { params: leadParams } }, async (request, reply) => {
      const { id } = request.params;
      const { rows } = await deps.pool.query('SELECT * FROM leads WHERE id = $1 AND erased_at IS NULL', [id]);
      if (!rows[0]) return problem(reply, 404, 'no such lead', [{ path: 'params.id', message: `no lead ${id}` }]);
      const [stages, sends, handoff, live] = await Promise.all([
        deps.pool.query('SELECT from_stage AS "from", to_stage AS "to", reason, changed_at AS at FROM stage_changes WHERE lead_id = $1 ORDER BY changed_at', [id]),
        deps.pool.query(
          'SELECT idempotency_key AS "idempotencyKey", channel, template, status, sequence_id AS "sequenceId", step_id AS "stepId", claimed_at AS at FROM sends WHERE lead_id = $1 ORDER BY id DESC LIMIT 20',
          [id],
        ),
        deps.pool.query<HandoffRow>("SELECT * FROM handoffs WHERE lead_id = $1 AND status = 'open'", [id]),
        // The stored facts answer even when the lead's worker does not, within the deadline.
        deps.client
          .withDeadline(Date.now() + 3_000, () => deps.client.workflow.getHandle(leadWorkflowId(id)).query(stateQuery))
          .catch(() => undefined),
      ]);
      const row = rows[0] as Record<string, unknown>;
      return {
        id,
        profile: profileOf(row),
        stageHistory: stages.rows,
        recentSends: sends.rows,
        openHandoff: handoff.rows[0] ? handoffView(handoff.rows[0], false) : null,
        // Live from the workflow: scores with breakdown, tier, sequence and step, next touch, consent.
        state: live ?? null,
      };
    });

    routes.get('/leads/:id/messages', { config: { scope: 'read' }, schema: { params: leadParams } }, async (request) => ({
      items: await listInAppMessages(deps.pool, request.params.id),
      nextCursor: null,
    }));
    for (const [action, mark] of [
      ['seen', markInAppSeen],
      ['dismiss', dismissInAppMessage],
    ] as const) {
      routes.post(`/leads/:id/messages/:messageId/${action}`, { config: { scope: 'ingest' }, schema: { params: messageParams } }, async (request, reply) => {
        const marked = await mark(deps.pool, request.params.id, request.params.messageId);
        if (!marked) return problem(reply, 404, 'no such message', [{ path: 'params.messageId', message: `no message ${request.params.messageId} for this lead` }]);
        // An event like any other; its id is derived from the message, so twice counts once.
        await deps.relay.accept([marked]);
        return marked;
      });
    }
    if (deps.inAppStream) {
      const stream = deps.inAppStream;
      // Server-sent events for a product UI: each new, seen or dismissed message as it happens.
      routes.get('/leads/:id/messages/stream', { config: { scope: 'read' }, schema: { params: leadParams } }, async (request, reply) => {
        const closed = new AbortController();
        request.raw.on('close', () => closed.abort());
        const updates = stream.updates(request.params.id, closed.signal);
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        reply.raw.write(': connected\n\n');
        for await (const update of updates) reply.raw.write(`event: ${update.kind}\ndata: ${JSON.stringify(update)}\n\n`);
        reply.raw.end();
      });
    }

    routes.get('/metrics/funnel', { config: { scope: 'read' }, schema: { querystring: funnelQuerySchema } }, async (request) => funnelReport(deps.pool, request.query));

    routes.get('/handoffs', { config: { scope: 'sales' }, schema: { querystring: listQuery } }, async (request) => {
      const { status, owner, limit, cursor } = request.query;
      const after = cursor ? decodeCursor(cursor) : undefined;
      const { rows } = await deps.pool.query<HandoffRow>(
        `SELECT * FROM handoffs
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR owner = $2)
           AND ($3::timestamptz IS NULL OR (opened_at, id) < ($3, $4))
         ORDER BY opened_at DESC, id DESC LIMIT $5`,
        [status ?? null, owner ?? null, after?.openedAt ?? null, after?.id ?? null, limit + 1],
      );
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { items: page.map((row) => handoffView(row, false)), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    });

    routes.get('/handoffs/:id', { config: { scope: 'sales' }, schema: { params: handoffParams } }, async (request, reply) => {
      const row = await findHandoff(deps.pool, request.params.id);
      if (!row) return problem(reply, 404, 'no such handoff', [{ path: 'params.id', message: `no handoff ${request.params.id}` }]);
      return handoffView(row, true);
    });

    const actions = [
      { path: 'accept', body: acceptSchema, signal: acceptSignal },
      { path: 'reject', body: rejectSchema, signal: rejectSignal },
      { path: 'meeting-booked', body: acceptSchema, signal: meetingBookedSignal },
    ] as const;
    for (const action of actions) {
      routes.post(`/handoffs/:id/${action.path}`, { config: { scope: 'sales' }, schema: { params: handoffParams, body: action.body } }, async (request, reply) => {
        const { id } = request.params;
        const row = await findHandoff(deps.pool, id);
        if (!row) return problem(reply, 404, 'no such handoff', [{ path: 'params.id', message: `no handoff ${id}` }]);
        if (row.status !== 'open') return problem(reply, 409, `the handoff is already ${row.status}`, [{ path: 'params.id', message: `${id} is closed` }]);
        const payload = { ...request.body, by: (request.body as { by?: string }).by ?? request.apiKey?.name };
        await deps.client.workflow.getHandle(id).signal(action.signal as typeof acceptSignal, payload as never);
        metrics.handoffActions.inc({ action: action.path });
        const settled = await waitForClose(deps.pool, id, deps.handoffSettleMs ?? 5_000);
        return reply.code(settled.status === 'open' ? 202 : 200).send(handoffView(settled, true));
      });
    }
  }, { prefix: '/v1' });

  return app;
}

async function findHandoff(pool: Pool, id: string): Promise<HandoffRow | undefined> {
  const { rows } = await pool.query<HandoffRow>('SELECT * FROM handoffs WHERE id = $1', [id]);
  return rows[0];
}

/** The handoff workflow closes the task through an activity: the answer waits (briefly) for that. */
async function waitForClose(pool: Pool, id: string, timeoutMs: number): Promise<HandoffRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = (await findHandoff(pool, id))!;
    if (row.status !== 'open' || Date.now() >= deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function encodeCursor(row: HandoffRow): string {
  return Buffer.from(JSON.stringify({ openedAt: row.opened_at.toISOString(), id: row.id })).toString('base64url');
}

function decodeCursor(cursor: string): { openedAt: string; id: string } | undefined {
  try {
    return z.object({ openedAt: z.iso.datetime(), id: z.string() }).parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    return undefined;
  }
}
