// bench/channels: how fast touches go out. Emails per second through deliverTouch (ledger claim,
// consent check, rendering, a pooled nodemailer transport, the mark) to a real SMTP server on
// loopback, and sends per second through the ledger alone (claim + mark, no provider), each with
// BENCH_CONCURRENCY calls in flight and its per-call latency. PostgreSQL is a throwaway database on
// DATABASE_URL's server, else an embedded one. Prints one JSON object; progress goes to stderr.
// Target: ≥ 200 emails/s on a 2-core machine.
//
// Caveat: the SMTP server runs in this process and shares its CPU with the sender; it parses nothing.
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import { Pool } from 'pg';
import { createDeliveryActivities } from '../activities/delivery';
import { claimSend, markSend } from '../db/repositories/sends';
import type { Touch } from '../core/protocol';
import type { Lead } from '../core/model/lead';
import { migrate } from '../db/migrate';
import { startTestPostgres } from '../devstack/postgres';
import { loadTemplates, TemplateRenderer } from '../channels/templates';
import { createLead } from '../core/engine';
import { startSmtpServer } from '../devstack/smtpSink';
import { defaultCatalog, TEMPLATES_DIR } from '../sequences/library';
import { saveLead } from '../db/repositories/leads';

const EMAILS = Number(process.env.BENCH_EMAILS ?? 3_000);
const LEDGER_SENDS = Number(process.env.BENCH_LEDGER_SENDS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WARMUP = 100;

const log = (line: string) => process.stderr.write(`[bench/channels] ${line}\n`);

interface Send {
  lead: Lead;
  touch: Touch;
}

const catalog = defaultCatalog({ holdoutPercent: 0 });
/** A Monday afternoon in UTC: inside the default email window, so the first touch goes out at once. */
const MONDAY_AFTERNOON = Date.parse('2026-03-02T15:00:00Z');

/** `count` welcome emails of the fast track as the engine sends them, each to a lead of its own (so each is a new ledger row). */
function sends(count: number, run: string): Send[] {
  return Array.from({ length: count }, (_, i) => {
    const lead: Lead = { id: `bench-${run}-${i}`, email: `lead-${i}@northwind.example`, firstName: 'Ada', lastName: 'Byrne' };
    const first = createLead(lead, MONDAY_AFTERNOON, catalog, 'fast-track').commands.find((command) => command.type === 'send');
    if (!first) throw new Error('the fast track sent no welcome email');
    return { lead, touch: first.touch };
  });
}

/** Runs `call` over every item with `concurrency` in flight: calls per second and latency percentiles (ms). */
async function measure<T>(items: T[], concurrency: number, call: (item: T) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const begun = performance.now();
      await call(item);
      latencies.push(performance.now() - begun);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(2));
  return { perSecond: Math.round(items.length / seconds), latencyMs: { p50: percentile(50), p99: percentile(99) } };
}

async function main(): Promise<void> {
  log('starting PostgreSQL and the SMTP server');
  const postgres = await startTestPostgres();
  const pool = new Pool({ connectionString: postgres.url });
  let received = 0;
  const sink = await startSmtpServer({ onMessage: () => void received++ });
  const transport = nodemailer.createTransport({ url: sink.url, pool: true });
  try {
    await migrate(pool);
    const delivery = createDeliveryActivities({
      pool,
      renderer: new TemplateRenderer(loadTemplates(TEMPLATES_DIR)),
      email: {
        transport,
        settings: {
          from: 'Sam Lee <sam@relay.example>',
          domain: 'relay.example',
          sender: { name: 'Sam Lee', company: 'Relay', address: '1 Main St, Springfield' },
          publicUrl: 'https://nurture.relay.example',
          signingSecret: 'bench-link-secret-0123456789',
          offers: {},
        },
      },
    });
    const deliver = async ({ lead, touch }: Send) => {
      const result = await delivery.deliverTouch({ workflowId: `lead-${lead.id}`, touch });
      if (result.status !== 'sent') throw new Error(`a send came back ${JSON.stringify(result)}`);
    };

    log(`composing ${EMAILS + WARMUP} touches`);
    const warmup = sends(WARMUP, 'warmup');
    const emails = sends(EMAILS, 'email');
    // The activity reads each lead's address from PostgreSQL at send time, as in production.
    await Promise.all([...warmup, ...emails].map(({ lead }) => saveLead(pool, lead)));
    await measure(warmup, CONCURRENCY, deliver);
    log(`sending ${EMAILS} emails, ${CONCURRENCY} in flight`);
    const email = await measure(emails, CONCURRENCY, deliver);
    if (received !== EMAILS + WARMUP) throw new Error(`the SMTP server received ${received} emails, not ${EMAILS + WARMUP}`);

    // The same touch shape under new keys: the ledger does not care what the touch says.
    const template = emails[0]!;
    const ledgerSends = Array.from({ length: LEDGER_SENDS }, (_, i) => ({ ...template.touch, idempotencyKey: `bench-ledger-${i}` }));
    log(`claiming and marking ${LEDGER_SENDS} sends, ${CONCURRENCY} in flight`);
    const ledger = await measure(ledgerSends, CONCURRENCY, async (touch) => {
      await claimSend(pool, `lead-${touch.leadId}`, touch);
      await markSend(pool, touch.idempotencyKey, 'sent');
    });

    console.log(
      JSON.stringify({
        bench: 'channels',
        concurrency: CONCURRENCY,
        emails: EMAILS,
        emailsPerSecond: email.perSecond,
        emailLatencyMs: email.latencyMs,
        ledgerSends: LEDGER_SENDS,
        ledgerSendsPerSecond: ledger.perSecond,
        ledgerLatencyMs: ledger.latencyMs,
        targets: { emailsPerSecond: 200 },
      }),
    );
  } finally {
    transport.close();
    await sink.close();
    await pool.end();
    await postgres.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench/channels: ${err.message}\n`);
  process.exitCode = 1;
});
