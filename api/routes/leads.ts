// Leads: create or update (and start the lead's workflow), import a CSV, list with filters, read one
// with its stage history, sends, open handoff and live state, and erase one.
import type { Readable } from 'node:stream';
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { CONSENT_CHANNELS } from '../../core/model/events';
import { flatRecord } from '../../core/model/input';
import { leadSchema } from '../../core/model/lead';
import { leadTimeline } from '../../db/repositories/audit';
import { consentHistory } from '../../db/repositories/consent';
import { erasedLeadIds, findLead, listLeads, profileOf, saveLead } from '../../db/repositories/leads';
import { outcomeSchema } from '../../workflows/contract';
import { consentOfProfile, takeConsent } from '../consent';
import { eraseEverywhere, erasedIdentifiersOf } from '../erasure';
import { leadsCsv } from '../csvExport';
import { columnMappingSchema, importLeadsCsv } from '../csvImport';
import { CsvRefused, utf8Csv } from '../csvEncoding';
import { leadDetail } from '../leadDetail';
import { CONTROL_BODIES, controlLead, recordOutcome, upsertLead, type LeadControl, type LeadStartOptions } from '../leadWorkflows';
import { problem } from '../plugins/errors';

// Looking a lead up takes any id stored before the id rule (core/model/input.ts), so erasure reaches it.
export const leadParams = z.object({ id: z.string().min(1).max(200) });

const timelineQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200), offset: z.coerce.number().int().min(0).default(0) });
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

const consentBody = z.object({
  channel: z.enum(CONSENT_CHANNELS),
  granted: z.boolean(),
  /** Who gave or refused it: a CRM, a preference page, a form. */
  source: z.string().trim().regex(/^[a-z0-9][a-z0-9_:.-]{0,63}$/, 'must be a short lower-case name, e.g. crm or preference_page').default('api'),
  evidence: flatRecord().optional(),
  /** When the person gave or refused it; now when absent. Never in the future. */
  at: z.iso
    .datetime({ offset: true })
    .refine((at) => Date.parse(at) <= Date.now() + 60_000, 'must not be in the future')
    .optional(),
});

const listQuery = z.object({
  stage: z.string().max(50).optional(),
  segment: z.string().max(200).optional(),
  source: z.string().max(200).optional(),
  tier: z.string().max(50).optional(),
  sequence: z.string().max(128).optional(),
  search: z.string().trim().min(1).max(200).optional().describe("words in the lead's name or company"),
  minScore: z.coerce.number().optional(),
  maxScore: z.coerce.number().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(400).optional(),
});

/** The lead id a list cursor continues after; null when the text is not a cursor this API gave (base64url of a lead id). */
function leadCursorId(cursor: string): string | null {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return id && Buffer.from(id).toString('base64url') === cursor && leadParams.shape.id.safeParse(id).success ? id : null;
}

const leadFilter = listQuery.omit({ limit: true, cursor: true });
/** The field an action's refusal is about. */
const REFUSED_FIELD: Record<LeadControl, string> = { pause: 'params.id', resume: 'params.id', enrol: 'body.sequenceId', exit: 'params.id' };
/** Leads one bulk action may reach: a larger change is several, by narrower filters. */
const BULK_LIMIT = 50_000;
const BULK_CONCURRENCY = 16;

export interface LeadRouteOptions {
  pool: Pool;
  client: Client;
  /** Where new lead workflows start (the task queue of the lead workers). */
  start?: LeadStartOptions;
  /** The key of the erased identifiers' hashes (NURTURE_ERASURE_SECRET). */
  erasureSecret: string;
}

export const leadRoutes: FastifyPluginAsyncZod<LeadRouteOptions> = async (app, { pool, client, start, erasureSecret }) => {
  app.post('/leads', { config: { scope: 'ingest' }, schema: { body: leadSchema } }, async (request, reply) => {
    const { id } = request.body;
    if ((await erasedLeadIds(pool, [id])).has(id)) {
      return problem(reply, 409, 'the lead was erased', [{ path: 'body.id', message: `lead ${id} was erased on request; it cannot be added again` }]);
    }
    const erased = await erasedIdentifiersOf(pool, request.body, erasureSecret);
    if (erased.length) return problem(reply, 422, 'the lead was erased before', erased);
    const created = await saveLead(pool, request.body);
    const consent = consentOfProfile(request.body, 'api', { key: request.apiKey?.name, requestId: request.id }, Date.now());
    try {
      // Consent first: a send already under way meets it at its check; a new lead is created with it.
      await takeConsent(pool, client, consent);
      await upsertLead(client, request.body, start);
    } catch (err) {
      return problem(reply, 503, 'the lead is saved but its workflow could not be reached; send it again', [{ path: 'temporal', message: (err as Error).message }]);
    }
    return reply.code(created ? 201 : 200).send({ id: request.body.id, created });
  });

  // A CSV upload is streamed to the importer, not buffered.
  app.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
  app.post('/leads/import', { config: { scope: 'ingest' }, schema: { querystring: importQuery } }, async (request, reply) => {
    if (!request.headers['content-type']?.startsWith('text/csv')) {
      return problem(reply, 415, 'send the file as text/csv', [{ path: 'content-type', message: `got ${request.headers['content-type'] ?? 'none'}` }]);
    }
    let file: Readable;
    try {
      file = await utf8Csv(request.body as Readable);
    } catch (err) {
      if (err instanceof CsvRefused) return problem(reply, 400, 'unreadable CSV', [{ path: 'body', message: err.message }]);
      throw err;
    }
    const result = await importLeadsCsv(file, { pool, client, start, erasureSecret }, request.query.mapping);
    app.metrics.leadsImported.inc({ outcome: 'imported' }, result.imported);
    app.metrics.leadsImported.inc({ outcome: 'updated' }, result.updated);
    app.metrics.leadsImported.inc({ outcome: 'failed' }, new Set(result.failed.map((failure) => failure.row)).size);
    return result;
  });

  // A CRM sync, a preference page: one consent fact, which stands if it is the latest.
  app.post('/leads/:id/consent', { config: { scope: 'ingest' }, schema: { params: leadParams, body: consentBody } }, async (request, reply) => {
    const { id } = request.params;
    if (!(await findLead(pool, id))) return problem(reply, 404, 'no such lead', [{ path: 'params.id', message: `no lead ${id}` }]);
    const { channel, granted, source, evidence, at } = request.body;
    const fact = { leadId: id, channel, granted, source, evidence: { ...evidence, key: request.apiKey?.name }, at: at === undefined ? Date.now() : Date.parse(at) };
    await takeConsent(pool, client, [fact]);
    return reply.code(201).send({ id, consent: await consentHistory(pool, id) });
  });

  // The CRM closes the loop: an opportunity, a customer, or a lost deal with its reason (recycled).
  app.post('/leads/:id/outcomes', { config: { scope: 'ingest' }, schema: { params: leadParams, body: outcomeSchema } }, async (request, reply) => {
    const { id } = request.params;
    const answer = await recordOutcome(pool, client, id, request.body);
    if (!answer) return problem(reply, 404, 'no such lead', [{ path: 'params.id', message: `no lead ${id}` }]);
    if (!answer.accepted) return problem(reply, 409, answer.reason, [{ path: 'body.outcome', message: answer.reason }]);
    return { id, ...request.body, accepted: true };
  });

  // Pause, resume, enrol and exit: updates of the lead's run, answered with its reply.
  for (const action of Object.keys(CONTROL_BODIES) as LeadControl[]) {
    // Pause and resume take no body: a bare POST will do.
    const bodySchema = action === 'pause' || action === 'resume' ? CONTROL_BODIES[action].nullish() : CONTROL_BODIES[action];
    app.post(`/leads/:id/${action}`, { config: { scope: 'marketing' }, schema: { params: leadParams, body: bodySchema } }, async (request, reply) => {
      const { id } = request.params;
      const answer = await controlLead(pool, client, id, action, (request.body ?? {}) as never);
      if (!answer) return problem(reply, 404, 'no such lead', [{ path: 'params.id', message: `no lead ${id}` }]);
      if (!answer.accepted) return problem(reply, 409, answer.reason, [{ path: REFUSED_FIELD[action], message: answer.reason }]);
      return { id, action, accepted: true };
    });

    // The same for every lead a filter matches (as GET /v1/leads filters): counted first (dryRun), then done.
    const bulkBody = CONTROL_BODIES[action].extend({ filter: leadFilter.default({}), dryRun: z.boolean().default(true) });
    app.post(`/leads/bulk/${action}`, { config: { scope: 'marketing' }, schema: { body: bulkBody } }, async (request, reply) => {
      const { filter, dryRun, ...body } = request.body as z.infer<typeof bulkBody>;
      const ids: string[] = [];
      for (let afterId: string | undefined; ids.length <= BULK_LIMIT; ) {
        const rows = await listLeads(pool, { ...filter, afterId, limit: 1_000 });
        ids.push(...rows.map((row) => row.id));
        if (rows.length < 1_000) break;
        afterId = rows.at(-1)!.id;
      }
      if (ids.length > BULK_LIMIT) return problem(reply, 422, `more than ${BULK_LIMIT} leads match`, [{ path: 'body.filter', message: 'narrow the filter: one bulk action reaches 50,000 leads at most' }]);
      if (dryRun) return { action, matched: ids.length, dryRun: true };
      const refused: { leadId: string; reason: string }[] = [];
      let done = 0;
      let next = 0;
      await Promise.all(
        Array.from({ length: BULK_CONCURRENCY }, async () => {
          for (let i = next++; i < ids.length; i = next++) {
            const answer = await controlLead(pool, client, ids[i]!, action, body as never).catch((err: unknown) => ({ accepted: false as const, reason: (err as Error).message }));
            if (answer?.accepted) done++;
            else refused.push({ leadId: ids[i]!, reason: answer?.reason ?? 'the lead is gone' });
          }
        }),
      );
      return { action, matched: ids.length, done, refused: refused.length, examples: refused.slice(0, 20) };
    });
  }

  app.get('/leads', { config: { scope: 'read' }, schema: { querystring: listQuery } }, async (request, reply) => {
    const { limit, cursor, ...filter } = request.query;
    const afterId = cursor === undefined ? undefined : leadCursorId(cursor);
    if (afterId === null) return problem(reply, 400, 'invalid query', [{ path: 'query.cursor', message: 'is not a cursor this API gave' }]);
    const rows = await listLeads(pool, { ...filter, afterId, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({ id: row.id, ...profileOf(row) })),
      nextCursor: rows.length > limit && last ? Buffer.from(last.id).toString('base64url') : null,
    };
  });

  // Personal data in bulk: admin keys only.
  app.get('/leads/export.csv', { config: { scope: 'admin' }, schema: { querystring: leadFilter } }, async (request, reply) => {
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="leads.csv"')
      .send(leadsCsv(pool, request.query));
  });

  app.delete('/leads/:id', { config: { scope: 'admin' }, schema: { params: leadParams } }, async (request, reply) => {
    const { id } = request.params;
    if (!(await eraseEverywhere(pool, client, id, erasureSecret))) return problem(reply, 404, 'no such lead', [{ path: 'params.id', message: `no lead ${id}` }]);
    return reply.code(200).send({ id, erased: true });
  });

  app.get('/leads/:id/timeline', { config: { scope: 'read' }, schema: { params: leadParams, querystring: timelineQuery } }, async (request, reply) => {
    const { id } = request.params;
    const { limit, offset } = request.query;
    if (!(await findLead(pool, id))) return problem(reply, 404, 'no such lead', [{ path: 'params.id', message: `no lead ${id}` }]);
    const entries = await leadTimeline(pool, id, limit + 1, offset);
    return {
      items: entries.slice(0, limit).map((entry) => ({ at: entry.at.toISOString(), kind: entry.kind, detail: entry.detail })),
      nextOffset: entries.length > limit ? offset + limit : null,
    };
  });

  app.get('/leads/:id', { config: { scope: 'read' }, schema: { params: leadParams } }, async (request, reply) => {
    const detail = await leadDetail(pool, client, request.params.id);
    return detail ?? problem(reply, 404, 'no such lead', [{ path: 'params.id', message: `no lead ${request.params.id}` }]);
  });
};
