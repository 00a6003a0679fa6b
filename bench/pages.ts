// bench/pages: how fast the marketers' pages under /app load on a year of data. An embedded
// PostgreSQL is seeded, set-based, with BENCH_PAGES_LEADS leads created over the last 365 days (each
// in a sequence of the live catalog, with its entry, about five sends, deferred and skipped touches,
// the stage changes of the stage it reached, a handoff for about one in twenty) and
// BENCH_PAGES_EVENTS events spread unevenly over them (opens, clicks and replies of their sends among
// them); then the API is built in-process, as `nurture api` builds it, beside a Temporal dev server
// that runs no workers, and a marketer signed in with a key of the marketing scope loads each page
// (and each API call behind them) 20 times in a row after 2 warm-ups: p50/p95/max per route. The
// lead page asks the lead's workflow for its live state, which does not exist here: the query must
// fail at once, not wait for its 3 s deadline (liveState says which).
// Prints one JSON object. Target: every page and API call p95 ≤ 300 ms at 10,000 leads and
// 1,000,000 events on two cores.
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { Pool, type PoolClient } from 'pg';
import { buildApi } from '../api/app';
import { EventRelay } from '../api/relay';
import { parseConfig } from '../app/config';
import { getFreePort } from '../app/net';
import { catalogSnapshotOf } from '../app/liveCatalog';
import { engineCatalog } from '../app/parts';
import { isTouchStep, touchChannel } from '../core/model/sequence';
import type { Catalog } from '../core/protocol';
import { migrate } from '../db/migrate';
import { createApiKey } from '../db/repositories/apiKeys';
import { publishCatalog } from '../db/repositories/catalogVersions';
import { publishVersions } from '../db/repositories/sequenceVersions';
import { startTestPostgres } from '../devstack/postgres';
import { startDevServer } from '../devstack/temporal';
import { snapshotVersion } from '../sequences/catalog';
import { leadWorkflowId, stateQuery } from '../workflows/contract';
import { LEAD_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';

const LEADS = Number(process.env.BENCH_PAGES_LEADS ?? 10_000);
const EVENTS = Number(process.env.BENCH_PAGES_EVENTS ?? 1_000_000);
const TARGET_MS = 300;
const WARMUPS = 2;
const RUNS = 20;
/** The experiment the seeded sends expose leads to (a step of the library's fast-track sequence). */
const EXPERIMENT = { sequenceId: 'fast-track', stepId: 'welcome', variants: ['control', 'short'] };
const LINK_SECRET = 'bench-link-secret-0123456789abcdef';
const DAY_MS = 86_400_000;
/** The lead page's deadline for the workflow's live state (api/leadDetail.ts). */
const LIVE_STATE_DEADLINE_MS = 3_000;
const FIRST_NAMES = ['Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hugo', 'Ida', 'Jonas', 'Karla', 'Lukas', 'Mia', 'Noah', 'Olga', 'Paul', 'Rosa', 'Sven', 'Tara', 'Jan'];
const LAST_NAMES = ['Schmidt', 'Meyer', 'Weber', 'Fischer', 'Wagner', 'Becker', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Brown', 'Smith', 'Garcia'];
const COMPANIES = ['Northwind', 'Contoso', 'Fabrikam', 'Initech', 'Globex', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Acme', 'Tyrell', 'Cyberdyne'];

const log = (line: string) => process.stderr.write(`[bench/pages] ${line}\n`);
const round = (value: number) => Math.round(value * 10) / 10;

/** The nearest-rank percentile of sorted values. */
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Every touch step of the catalog's latest sequences: its sequence, version, place among the touches, id and channel. */
function touchSteps(catalog: Catalog) {
  return Object.entries(catalog.latest).flatMap(([sequenceId, version]) => {
    const touches = catalog.versions[version]!.steps.filter(isTouchStep).map((step) => ({ stepId: step.id, channel: touchChannel(step) }));
    return touches.map((touch, position) => ({ sequenceId, version, position, touches: touches.length, ...touch }));
  });
}

/** The leads with their profile, stage, score and sequence, created over the last 365 days. */
async function seedLeads(db: PoolClient, sequenceIds: string[]) {
  await db.query(
    `WITH g AS (SELECT i, random() AS r_stage, random() AS r_age, random() AS r_score FROM generate_series(1, $1) i)
     INSERT INTO leads (id, email, first_name, last_name, company, title, industry, company_size, country, timezone, source, stage, segment, holdout,
                        created_at, updated_at, tier, total_score, sequence_id)
     SELECT 'lead-' || lpad(i::text, 6, '0'), 'lead-' || i || '@example.com',
            ($2::text[])[1 + i % cardinality($2)], ($3::text[])[1 + (i / 7) % cardinality($3)], ($4::text[])[1 + (i / 3) % cardinality($4)],
            (ARRAY['Head of Operations', 'Analyst', 'VP Sales', 'Engineer'])[1 + i % 4], (ARRAY['software', 'retail', 'manufacturing', 'finance'])[1 + (i / 4) % 4],
            20 + (i * 37) % 2000, CASE WHEN i % 3 = 0 THEN 'US' ELSE 'DE' END, CASE WHEN i % 3 = 0 THEN 'America/New_York' ELSE 'Europe/Berlin' END,
            (ARRAY['webinar', 'content', 'paid_search', 'event'])[1 + (i * 7) % 4],
            CASE WHEN r_stage < 0.45 THEN 'lead' WHEN r_stage < 0.70 THEN 'mql' WHEN r_stage < 0.82 THEN 'sql'
                 WHEN r_stage < 0.88 THEN 'opportunity' WHEN r_stage < 0.92 THEN 'customer' ELSE 'recycled' END,
            chr(65 + i % 4) || (1 + (i / 4) % 4), random() < 0.1,
            now() - r_age * interval '365 days', now() - r_age * interval '100 days',
            (ARRAY['active', 'active', 'cooling', 'dormant'])[1 + i % 4], round((r_score * 100)::numeric, 1), ($5::text[])[1 + i % cardinality($5)]
     FROM g`,
    [LEADS, FIRST_NAMES, LAST_NAMES, COMPANIES, sequenceIds],
  );
}

/** Per lead: its entry to its sequence, about five sends of its sequence's touches, and three deferred or skipped touches. */
async function seedSequenceWork(db: PoolClient, steps: ReturnType<typeof touchSteps>) {
  const columns = [steps.map((s) => s.sequenceId), steps.map((s) => s.version), steps.map((s) => s.position), steps.map((s) => s.touches), steps.map((s) => s.stepId), steps.map((s) => s.channel)];
  const stepsTable = `steps AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], $6::text[]) AS t(sequence_id, version, position, touches, step_id, channel))`;
  await db.query(
    `WITH ${stepsTable}
     INSERT INTO lead_activity (idempotency_key, lead_id, kind, detail, at)
     SELECT l.id || '/enter', l.id, 'enterSequence', jsonb_build_object('sequenceId', l.sequence_id, 'version', s.version, 'reason', 'routing'), l.created_at + interval '1 minute'
     FROM leads l JOIN steps s ON s.sequence_id = l.sequence_id AND s.position = 0`,
    columns,
  );
  await db.query(
    `WITH ${stepsTable},
     x AS (SELECT l.id, l.sequence_id, l.created_at, k, s.version, s.step_id, s.channel, random() AS r
           FROM leads l CROSS JOIN generate_series(1, 4 + (hashtext(l.id) & 1) * 2) k
           JOIN steps s ON s.sequence_id = l.sequence_id AND s.position = (k - 1) % s.touches)
     INSERT INTO sends (idempotency_key, lead_id, workflow_id, sequence_id, sequence_version, step_id, touch_number, channel, template, status, claimed_at, completed_at, experiment_id, variant)
     SELECT id || '/send/' || k, id, 'lead-' || id, sequence_id, version, step_id, k, channel, step_id,
            CASE WHEN r < 0.85 THEN 'sent' WHEN r < 0.93 THEN 'suppressed' ELSE 'failed' END,
            least(now(), created_at + (k * 2 - 1) * interval '1 day'), least(now(), created_at + (k * 2 - 1) * interval '1 day') + interval '2 seconds',
            CASE WHEN sequence_id = $7 AND step_id = $8 THEN $7 || '/' || $8 END,
            CASE WHEN sequence_id = $7 AND step_id = $8 THEN ($9::text[])[1 + ((hashtext(id) >> 1) & 1)] END
     FROM x`,
    [...columns, EXPERIMENT.sequenceId, EXPERIMENT.stepId, EXPERIMENT.variants],
  );
  await db.query(
    `WITH ${stepsTable},
     x AS (SELECT l.id, l.sequence_id, l.created_at, k, s.step_id, s.channel, random() AS r
           FROM leads l CROSS JOIN generate_series(1, 3) k JOIN steps s ON s.sequence_id = l.sequence_id AND s.position = k % s.touches)
     INSERT INTO lead_activity (idempotency_key, lead_id, kind, detail, at)
     SELECT id || '/touch/' || k, id, CASE WHEN r < 0.6 THEN 'touchDeferred' ELSE 'touchSkipped' END,
            CASE WHEN r < 0.6
                 THEN jsonb_build_object('sequenceId', sequence_id, 'stepId', step_id, 'channel', channel, 'until', extract(epoch FROM least(now(), created_at + k * interval '36 hours') + interval '8 hours') * 1000,
                                         'reasons', CASE WHEN r < 0.3 THEN jsonb_build_array('window:' || channel) ELSE jsonb_build_array('cap:perWeek', 'window:' || channel) END)
                 ELSE jsonb_build_object('sequenceId', sequence_id, 'stepId', step_id, 'channel', channel, 'reason', CASE WHEN r < 0.85 THEN 'no_consent' ELSE 'no_send_slot' END) END,
            least(now(), created_at + k * interval '36 hours')
     FROM x`,
    columns,
  );
}

/** The stage changes up to each lead's stage (a recycled lead was an MQL first), and handoffs for about one lead in twenty. */
async function seedFunnel(db: PoolClient) {
  await db.query(
    `WITH paths AS (SELECT l.id, l.created_at, CASE WHEN l.stage = 'recycled' THEN ARRAY['lead', 'mql', 'recycled']
                                                    ELSE (ARRAY['lead', 'mql', 'sql', 'opportunity', 'customer'])[1:array_position(ARRAY['lead', 'mql', 'sql', 'opportunity', 'customer'], l.stage)] END AS path
                    FROM leads l)
     INSERT INTO stage_changes (idempotency_key, lead_id, from_stage, to_stage, reason, changed_at)
     SELECT id || '/' || p.stage, id, path[p.n - 1], p.stage, 'score', created_at + (now() - created_at) * (p.n - 2 + random()) / 5
     FROM paths CROSS JOIN unnest(path) WITH ORDINALITY AS p(stage, n) WHERE p.n > 1`,
  );
  await db.query(
    `WITH x AS (SELECT l.id, l.created_at + (now() - l.created_at) * 0.45 AS opened_at, random() AS r
                FROM leads l WHERE l.stage IN ('sql', 'opportunity', 'customer') AND random() < 0.25)
     INSERT INTO handoffs (id, lead_id, status, owner, escalations, reason_code, opened_at, sla_due_at, closed_at, updated_at)
     SELECT 'handoff-' || id || '-1', id, s.status, 'rep-' || (1 + (hashtext(id) & 3)), CASE WHEN random() < 0.2 THEN 1 ELSE 0 END,
            CASE WHEN s.status = 'rejected' THEN 'not_a_fit' END, opened_at, opened_at + interval '1 hour',
            CASE WHEN s.status <> 'open' THEN opened_at + random() * interval '4 hours' END, opened_at
     FROM x CROSS JOIN LATERAL (SELECT CASE WHEN r < 0.15 THEN 'open' WHEN r < 0.6 THEN 'accepted' WHEN r < 0.75 THEN 'rejected' ELSE 'meeting_booked' END AS status) s`,
  );
}

/**
 * Opens, clicks and replies of sent emails (naming their send) and, up to EVENTS, the rest: more to
 * some leads than others, all delivered, stored in the order they happened as the API stores them.
 */
async function seedEvents(db: PoolClient) {
  // Lead n gets a share falling with n (random()^1.5): the first leads have thousands of events, most a few dozen.
  await db.query(
    `WITH engaged AS (SELECT s.idempotency_key || '/' || t.type AS event_id, s.lead_id, t.type, least(now(), s.claimed_at + t.after) AS at, jsonb_build_object('sendId', s.idempotency_key) AS properties
                      FROM sends s CROSS JOIN (VALUES ('email_open', 0.45, interval '3 hours'), ('email_click', 0.12, interval '4 hours'), ('email_reply', 0.02, interval '1 day')) AS t(type, share, after)
                      WHERE s.status = 'sent' AND s.channel = 'email' AND random() < t.share),
     g AS (SELECT i, 'lead-' || lpad((1 + floor($2 * power(random(), 1.5)))::text, 6, '0') AS lead_id, random() AS r_type, random() AS r_at
           FROM generate_series(1, $1 - (SELECT count(*) FROM engaged)) i),
     rest AS (SELECT 'ev-' || i AS event_id, g.lead_id, t.type, l.created_at + (now() - l.created_at) * r_at AS at, t.properties
              FROM g JOIN leads l ON l.id = g.lead_id
              CROSS JOIN LATERAL (SELECT CASE WHEN r_type < 0.7 THEN 'page_view' WHEN r_type < 0.8 THEN 'content_download' WHEN r_type < 0.86 THEN 'form_submit'
                                              WHEN r_type < 0.96 THEN 'email_open' ELSE 'email_click' END AS type,
                                         CASE WHEN r_type < 0.7 THEN jsonb_build_object('url', 'https://example.com/p/' || (i % 50), 'category', (ARRAY['pricing', 'security', 'case_study', 'careers', 'docs', 'blog', 'other'])[1 + i % 7])
                                              WHEN r_type < 0.8 THEN jsonb_build_object('assetId', 'guide-' || (i % 12), 'kind', 'guide')
                                              WHEN r_type < 0.86 THEN jsonb_build_object('formId', 'contact')
                                              ELSE '{}'::jsonb END AS properties) t)
     INSERT INTO events (event_id, lead_id, type, occurred_at, properties, received_at, delivered_at)
     SELECT event_id, lead_id, type, at, properties, at, at + interval '1 second'
     FROM (SELECT * FROM engaged UNION ALL SELECT * FROM rest) e ORDER BY at`,
    [EVENTS, LEADS],
  );
}

/** Seeds everything on one connection (one random sequence, the same data every run), then ANALYZE. */
async function seed(pool: Pool, catalog: Catalog) {
  const db = await pool.connect();
  try {
    await db.query('SELECT setseed(0.42)');
    log(`seeding ${LEADS} leads`);
    await seedLeads(db, Object.keys(catalog.latest));
    await seedSequenceWork(db, touchSteps(catalog));
    await seedFunnel(db);
    log(`seeding ${EVENTS} events`);
    await seedEvents(db);
    await db.query('ANALYZE');
  } finally {
    db.release();
  }
}

/** What the routes are asked of: the busiest sequence, the lead with the most events, the commonest first name. */
async function subjects(pool: Pool) {
  const [sequence, lead, name] = await Promise.all([
    pool.query<{ id: string }>("SELECT sequence_id AS id FROM sends WHERE status = 'sent' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"),
    pool.query<{ id: string; events: number }>('SELECT lead_id AS id, count(*)::int AS events FROM events GROUP BY 1 ORDER BY 2 DESC LIMIT 1'),
    pool.query<{ name: string }>('SELECT first_name AS name FROM leads GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1'),
  ]);
  return { busiestSequence: sequence.rows[0]!.id, busiestLead: lead.rows[0]!, firstName: name.rows[0]!.name };
}

/** A marketer's session cookie, from signing in with a key of the marketing scope. */
async function signIn(url: string, secret: string): Promise<string> {
  const response = await fetch(`${url}/app/sign-in/key`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key: secret }).toString(),
    redirect: 'manual',
  });
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith('nurture_desk='));
  if (response.status !== 303 || !cookie) throw new Error(`sign-in answered ${response.status} without the session cookie`);
  return cookie.split(';')[0]!;
}

/** p50/p95/max ms of RUNS sequential GETs after WARMUPS; any answer but 200 stops the run. */
async function timeRoute(url: string, route: string, headers: Record<string, string>) {
  const times: number[] = [];
  for (let i = 0; i < WARMUPS + RUNS; i++) {
    const began = performance.now();
    const response = await fetch(`${url}${route}`, { headers, redirect: 'manual' });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET ${route}: ${response.status} ${body.slice(0, 300)}`);
    if (i >= WARMUPS) times.push(performance.now() - began);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)), maxMs: round(times.at(-1)!) };
}

/** How long the lead page's live-state query takes to fail for a lead without a workflow, and whether it waited for the deadline. */
async function liveStateFailure(client: Client, leadId: string) {
  const began = performance.now();
  const error = await client
    .withDeadline(Date.now() + LIVE_STATE_DEADLINE_MS, () => client.workflow.getHandle(leadWorkflowId(leadId)).query(stateQuery))
    .then(() => 'answered', (err: Error) => err.constructor.name);
  const ms = round(performance.now() - began);
  return { ms, error, failsFast: ms < LIVE_STATE_DEADLINE_MS / 2 };
}

async function main() {
  log('starting PostgreSQL and the Temporal dev server');
  const [postgres, temporal] = await Promise.all([startTestPostgres(), startDevServer({ searchAttributes: LEAD_SEARCH_ATTRIBUTES })]);
  const pool = new Pool({ connectionString: postgres.url, max: 20 });
  // Stopping the embedded server at the end closes idle connections under the pool.
  pool.on('error', () => undefined);
  let close: (() => Promise<void>) | undefined;
  try {
    await migrate(pool);
    // Published as a lead worker publishes it at its start (app/parts.ts).
    const catalog = engineCatalog(parseConfig({}));
    const snapshot = catalogSnapshotOf(catalog);
    await publishVersions(pool, catalog.versions);
    await publishCatalog(pool, snapshotVersion(snapshot), snapshot);
    const seeding = performance.now();
    await seed(pool, catalog);
    const seedSeconds = round((performance.now() - seeding) / 1000);
    const { busiestSequence, busiestLead, firstName } = await subjects(pool);

    const client: Client = temporal.env.client;
    const relay = new EventRelay(pool, client);
    const app = await buildApi({
      pool,
      client,
      relay,
      erasureSecret: 'bench-erasure-secret-0123456789',
      public: { linkSecret: LINK_SECRET, publicUrl: 'https://nurture.bench.example', web: { catalog } },
    });
    close = () => app.close().then(() => relay.stop());
    const port = await getFreePort();
    await app.listen({ host: '127.0.0.1', port });
    const url = `http://127.0.0.1:${port}`;
    const { secret } = await createApiKey(pool, 'bench marketer', ['marketing']);
    const cookie = { cookie: await signIn(url, secret) };
    const bearer = { authorization: `Bearer ${secret}` };

    // The overview's default period (90 days, whole days), for the API call behind it.
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const funnelRange = new URLSearchParams({ from: new Date(today - 89 * DAY_MS).toISOString(), to: new Date(today + DAY_MS).toISOString() });
    const sequenceRoutes = Object.keys(catalog.latest).map((id) => `/app/sequences/${encodeURIComponent(id)}`);
    const pageRoutes = [
      '/app/overview',
      '/app/overview?period=365d&cohort=month',
      '/app/overview?period=365d&source=webinar',
      '/app/sequences',
      ...sequenceRoutes,
      '/app/experiments',
      '/app/leads',
      `/app/leads?search=${encodeURIComponent(firstName)}`,
      '/app/leads?minScore=40&maxScore=60',
      `/app/leads/${encodeURIComponent(busiestLead.id)}`,
      '/app/preview',
    ];
    const apiRoutes = [`/v1/metrics/funnel?${funnelRange}`, '/v1/sequences', `/v1/sequences/${encodeURIComponent(busiestSequence)}`];
    const pages: Record<string, Awaited<ReturnType<typeof timeRoute>>> = {};
    for (const route of pageRoutes) {
      log(`GET ${route}`);
      pages[route] = await timeRoute(url, route, cookie);
    }
    const api: typeof pages = {};
    for (const route of apiRoutes) {
      log(`GET ${route}`);
      api[route] = await timeRoute(url, route, bearer);
    }

    const bySequence = sequenceRoutes.map((route) => ({ route, p95Ms: pages[route]!.p95Ms })).sort((a, b) => a.p95Ms - b.p95Ms);
    const [slowest] = Object.entries({ ...pages, ...api })
      .map(([route, { p95Ms }]) => ({ route, p95Ms }))
      .sort((a, b) => b.p95Ms - a.p95Ms);
    console.log(
      JSON.stringify({
        bench: 'pages',
        leads: LEADS,
        events: EVENTS,
        seedSeconds,
        targetMs: TARGET_MS,
        subjects: { busiestSequence, busiestLead: busiestLead.id, busiestLeadEvents: busiestLead.events, search: firstName },
        pages,
        sequencePages: { slowest: bySequence.at(-1), medianP95Ms: percentile(bySequence.map((s) => s.p95Ms), 50) },
        api,
        liveState: await liveStateFailure(client, busiestLead.id),
        slowest,
        meetsTarget: slowest!.p95Ms <= TARGET_MS,
      }),
    );
  } finally {
    await close?.();
    await pool.end();
    await Promise.allSettled([temporal.stop(), postgres.stop()]);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench/pages: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
