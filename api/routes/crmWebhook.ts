// POST /webhooks/crm: a CRM tells the engine what became of its leads, signed as the engine signs its
// own webhooks (`Nurture-Signature: t=<unix seconds>,v1=<HMAC-SHA256 of "t.body">`, within five
// minutes) with NURTURE_CRM_WEBHOOK_SECRET. The signature covers the bytes as sent, so the body is
// read raw and parsed only once it verifies.
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import type { Pool } from 'pg';
import { z } from 'zod';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../channels/webhook';
import { outcomeSchema } from '../../workflows/contract';
import { recordOutcome } from '../leadWorkflows';
import { problem, zodDetails } from '../plugins/errors';

export interface CrmWebhookOptions {
  pool: Pool;
  client: Client;
  secret: string;
  now?: () => number;
}

const crmOutcomeSchema = outcomeSchema.extend({ leadId: z.string().min(1).max(200) });

export const crmWebhookRoutes: FastifyPluginAsync<CrmWebhookOptions> = async (app, { pool, client, secret, now = Date.now }) => {
  // This plugin's own JSON parser keeps the raw text: the signature is checked on it.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post('/webhooks/crm', { schema: { hide: true } }, async (request, reply) => {
    const raw = String(request.body ?? '');
    const check = verifyWebhookSignature({ header: request.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, body: raw, secret }, { now: now() });
    if (!check.ok) return problem(reply, 401, 'the signature does not verify', [{ path: `headers.${SIGNATURE_HEADER}`, message: check.reason }]);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return problem(reply, 400, 'invalid body', [{ path: 'body', message: 'must be JSON' }]);
    }
    const parsed = crmOutcomeSchema.safeParse(json);
    if (!parsed.success) return problem(reply, 400, 'invalid body', zodDetails('body', parsed.error.issues));
    const { leadId, ...outcome } = parsed.data;
    const answer = await recordOutcome(pool, client, leadId, outcome);
    if (!answer) return problem(reply, 404, 'no such lead', [{ path: 'body.leadId', message: `no lead ${leadId}` }]);
    if (!answer.accepted) return problem(reply, 409, answer.reason, [{ path: 'body.outcome', message: answer.reason }]);
    return { leadId, ...outcome, accepted: true };
  });
};
