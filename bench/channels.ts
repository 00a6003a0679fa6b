// bench/channels: how fast touches go out. Emails per second through deliverTouch (ledger claim,
// consent check, rendering, a pooled nodemailer transport, the mark) to a real SMTP server on
// loopback; texts per second the same way through the twilio SDK to a Twilio-compatible server on
// loopback, each placed by its number at send time for its quiet hours (no zone given); and sends
// per second through the ledger alone (claim + mark, no provider), each with BENCH_CONCURRENCY calls
// in flight and its per-call latency. PostgreSQL is a throwaway database on DATABASE_URL's server,
// else an embedded one. Prints one JSON object; progress goes to stderr.
// Targets: ≥ 200 emails/s and ≥ 100 texts/s on a 2-core machine (a US 10DLC campaign's top tier
// sends about 225 a second; one long code, one).
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
import { createTwilioClient } from '../channels/sms';
import { placeOf } from '../channels/place';
import { startTwilioServer } from '../devstack/twilioServer';

const EMAILS = Number(process.env.BENCH_EMAILS ?? 3_000);
const TEXTS = Number(process.env.BENCH_TEXTS ?? 2_000);
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

/** `count` same-day texts of the event follow-up to New York numbers without a time zone, placed as the API places them. */
function texts(count: number, run: string): Send[] {
  return Array.from({ length: count }, (_, i) => {
    const lead: Lead = { id: `bench-${run}-${i}`, phone: `+1212555${String(i % 10_000).padStart(4, '0')}`, firstName: 'Ada', source: 'webinar', consent: { sms: true } };
    const first = createLead({ ...lead, ...placeOf(lead) }, MONDAY_AFTERNOON, catalog, 'event-follow-up').commands.find((command) => command.type === 'send');
    if (first?.touch.channel !== 'sms') throw new Error('the event follow-up sent no text');
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
  const twilioCredentials = { accountSid: `AC${'0'.repeat(32)}`, authToken: 'bench-twilio-token' };
  const twilioServer = await startTwilioServer(twilioCredentials);
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
    const cpuBefore = process.cpuUsage();
    const email = await measure(emails, CONCURRENCY, deliver);
    const emailCpu = process.cpuUsage(cpuBefore);
    if (received !== EMAILS + WARMUP) throw new Error(`the SMTP server received ${received} emails, not ${EMAILS + WARMUP}`);

    const messageSettings = { sender: { name: 'Sam Lee', company: 'Relay', address: '1 Main St, Springfield' }, publicUrl: 'https://nurture.relay.example', signingSecret: 'bench-link-secret-0123456789', offers: {} };
    const smsDelivery = createDeliveryActivities({
      pool,
      renderer: new TemplateRenderer(loadTemplates(TEMPLATES_DIR)),
      sms: {
        ...messageSettings,
        client: createTwilioClient({ ...twilioCredentials, apiUrl: twilioServer.url }),
        from: '+15005550006',
        window: catalog.model.cadence.windows.sms,
        defaultTimezone: catalog.model.defaultTimezone,
        hours: catalog.model.smsHours,
      },
      // 10:00 in New York: inside every quiet-hour rule, whenever the benchmark runs.
      now: () => MONDAY_AFTERNOON,
    });
    log(`composing ${TEXTS + WARMUP} texts`);
    const textWarmup = texts(WARMUP, 'text-warmup');
    const textSends = texts(TEXTS, 'text');
    await Promise.all([...textWarmup, ...textSends].map(({ lead }) => saveLead(pool, lead)));
    const text = async ({ lead, touch }: Send) => {
      const result = await smsDelivery.deliverTouch({ workflowId: `lead-${lead.id}`, touch });
      if (result.status !== 'sent') throw new Error(`a text came back ${JSON.stringify(result)}`);
    };
    await measure(textWarmup, CONCURRENCY, text);
    log(`sending ${TEXTS} texts, ${CONCURRENCY} in flight`);
    const sms = await measure(textSends, CONCURRENCY, text);
    if (twilioServer.received.length !== TEXTS + WARMUP) throw new Error(`the Twilio server received ${twilioServer.received.length} texts, not ${TEXTS + WARMUP}`);

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
        // This process's CPU per email: deliverTouch's, and the SMTP server's beside it (PostgreSQL's is its own).
        cpuMsPerEmail: Number(((emailCpu.user + emailCpu.system) / 1000 / EMAILS).toFixed(2)),
        texts: TEXTS,
        textsPerSecond: sms.perSecond,
        textLatencyMs: sms.latencyMs,
        ledgerSends: LEDGER_SENDS,
        ledgerSendsPerSecond: ledger.perSecond,
        ledgerLatencyMs: ledger.latencyMs,
        targets: { emailsPerSecond: 200, textsPerSecond: 100 },
      }),
    );
  } finally {
    transport.close();
    await sink.close();
    await twilioServer.close();
    await pool.end();
    await postgres.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench/channels: ${err.message}\n`);
  process.exitCode = 1;
});
