// Generated hostile requests against the API's routes on the real servers (fast-check): bodies of
// any shape (NUL bytes, lone surrogates, deep nesting, odd numbers, prototype keys, dates from year
// 0 to 9999), odd path parameters and queries. Whatever comes, the API answers within ten seconds
// and never with a 5xx. `npm run fuzz` runs it longer (FUZZ_RUNS, 5,000 requests).
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import fc from 'fast-check';
import type { Pool } from 'pg';
import { withApi } from '../support/api';
import { anyHourCatalog, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;
let pool: Pool, nativeConnection: NativeConnection, client: Client;
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

const nasty = fc.constantFrom('\u0000', '\ud800', 'a\udc00b', '../../etc/passwd', "'; DROP TABLE leads; --", '__proto__', 'constructor', '=HYPERLINK("x")', '%00', '', ' ', 'x'.repeat(5_000));
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), nasty);
const time = fc.oneof(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_000 }).map((ms) => new Date(ms).toISOString()), text);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
}));
/** Bodies shaped enough like the real ones to get past the first checks. */
const eventLike = fc.record({ eventId: text, leadId: text, type: fc.oneof(fc.constantFrom('page_view', 'demo_request', 'email_open', 'content_download'), text), occurredAt: time, properties: value });
const leadLike = fc.record({ id: text, email: text, firstName: text, country: text, companySize: fc.oneof(fc.integer(), text), consent: value, attributes: value }, { requiredKeys: ['id'] });
const deep = fc.integer({ min: 30, max: 3_000 }).map((depth) => {
  let nested: unknown = 'end';
  for (let i = 0; i < depth; i++) nested = { a: nested };
  return nested;
});
const body = fc.oneof(value, eventLike, leadLike, fc.record({ events: fc.array(eventLike, { maxLength: 5 }) }), deep);

/** A path parameter as a client would send it, or as raw bytes when it cannot be (a lone surrogate). */
const param = (raw: string) => {
  try {
    return encodeURIComponent(raw) || 'x';
  } catch {
    return '%ED%A0%80';
  }
};
const query = fc.dictionary(fc.constantFrom('stage', 'source', 'segment', 'cursor', 'limit', 'status', 'owner', 'from', 'to', 'cohort', 'by', 'offset'), text, { maxKeys: 3 });

const ROUTES: ((id: string) => { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string })[] = [
  () => ({ method: 'POST', path: '/v1/events' }),
  () => ({ method: 'POST', path: '/v1/leads' }),
  () => ({ method: 'GET', path: '/v1/leads' }),
  (id) => ({ method: 'GET', path: `/v1/leads/${id}` }),
  (id) => ({ method: 'GET', path: `/v1/leads/${id}/timeline` }),
  (id) => ({ method: 'POST', path: `/v1/leads/${id}/consent` }),
  (id) => ({ method: 'POST', path: `/v1/leads/${id}/outcomes` }),
  (id) => ({ method: 'POST', path: `/v1/leads/${id}/pause` }),
  (id) => ({ method: 'POST', path: `/v1/leads/${id}/enrol` }),
  () => ({ method: 'GET', path: '/v1/handoffs' }),
  (id) => ({ method: 'GET', path: `/v1/handoffs/${id}` }),
  (id) => ({ method: 'POST', path: `/v1/handoffs/${id}/accept` }),
  (id) => ({ method: 'POST', path: `/v1/handoffs/${id}/snooze` }),
  () => ({ method: 'POST', path: '/v1/reps' }),
  (id) => ({ method: 'PATCH', path: `/v1/reps/${id}` }),
  () => ({ method: 'POST', path: '/v1/teams' }),
  () => ({ method: 'POST', path: '/v1/keys' }),
  () => ({ method: 'GET', path: '/v1/metrics/funnel' }),
  (id) => ({ method: 'DELETE', path: `/v1/leads/${id}` }),
];

it(`answers ${RUNS} generated hostile requests within ten seconds each, never with a 5xx`, async () => {
  await withWorkers({ client, nativeConnection }, { catalog }, ({ taskQueue }) =>
    withApi({ pool, client, taskQueue }, async ({ url }) => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: ROUTES.length - 1 }), text, query, body, async (route, id, search, payload) => {
          const { method, path } = ROUTES[route]!(param(id));
          const params = new URLSearchParams();
          for (const [key, entry] of Object.entries(search)) params.append(key, entry);
          const response = await fetch(`${url}${path}${params.size ? `?${params}` : ''}`, {
            method,
            headers: { authorization: `Bearer ${adminKey}`, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
            ...(method === 'GET' ? {} : { body: JSON.stringify(payload) ?? 'null' }),
            signal: AbortSignal.timeout(10_000),
          });
          const answer = await response.text();
          if (response.status >= 500) throw new Error(`${method} ${path} answered ${response.status}: ${answer}`);
        }),
        { numRuns: RUNS },
      );
    }),
  );
}, 600_000);
