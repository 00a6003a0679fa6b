// `nurture demo`: loads a small, realistic data set into a running engine over its HTTP API (leads
// from three sources, then a timeline of what they do) and prints what the engine made of it, read
// back from the API: the sequences they entered, the emails that went out, a next touch pulled
// forward by intent, and the sales handoffs that opened. Ids are stable, so running it again adds
// nothing.
import { z } from 'zod';
import { MAX_EVENTS_PER_BATCH } from '../api/routes/events';
import { DEMO_REPS, WAVES, generateDemo, type DemoLead, type Wave } from './demoData';
import { callApi, resolveApiTarget, type ApiTarget } from './apiClient';
import { InputError } from './inputs';

const demoOptionsSchema = z.object({
  leads: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(10, 'must be at least 10').max(1000, 'must be at most 1000').default(300),
  seed: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(2 ** 31, 'must be at most 2^31').default(1),
});

export interface DemoOptions extends ApiTarget {
  leads?: string;
  seed?: string;
}

/** Requests in flight at once: enough to keep the API busy without starving the workers of the 2 cores. */
const CONCURRENCY = 8;
/** How long the demo waits for the engine to catch up with one step of the timeline. */
const CATCH_UP_MS = 120_000;
const POLL_MS = 1_000;

// What the demo reads from the API: only the fields it prints, checked, so a changed answer is
// reported by its field instead of printing `undefined`.
const leadSchema = z.object({
  recentSends: z.array(z.looseObject({ channel: z.string(), status: z.string(), template: z.string().nullable() })),
  state: z
    .looseObject({
      stage: z.string(),
      holdout: z.boolean(),
      tier: z.string(),
      nextTouchAt: z.string().optional(),
      sequence: z.looseObject({ id: z.string() }).optional(),
      openHandoff: z.looseObject({ id: z.string() }).optional(),
      consent: z.record(z.string(), z.boolean()),
      counters: z.looseObject({ events: z.number(), touches: z.number() }),
      history: z.array(z.looseObject({ id: z.string() })),
    })
    .nullable(),
});
type LeadDetail = z.infer<typeof leadSchema>;
const repListSchema = z.object({ items: z.array(z.looseObject({ id: z.string() })) });
const handoffSchema = z.looseObject({ id: z.string(), leadId: z.string(), status: z.string(), owner: z.string().nullable() });
const handoffListSchema = z.object({ items: z.array(handoffSchema), nextCursor: z.string().nullable() });
const handoffDetailSchema = handoffSchema.extend({
  context: z.looseObject({
    reason: z.string(),
    scores: z.looseObject({ fit: z.number(), intent: z.number(), total: z.number() }),
    path: z.array(z.looseObject({ key: z.string() })),
  }),
  assignments: z.array(z.looseObject({ rule: z.string(), startsAt: z.string().optional() })),
});
const createdSchema = z.looseObject({ created: z.boolean() });
const ingestedSchema = z.object({ accepted: z.number(), duplicates: z.number() });

type Target = { api: string; key: string };

export async function runDemo(options: DemoOptions, print: (line: string) => void = console.log, env: Record<string, string | undefined> = process.env): Promise<void> {
  const parsed = demoOptionsSchema.safeParse(options);
  if (!parsed.success) throw new InputError(parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'));
  const { leads: count, seed } = parsed.data;
  const target = resolveApiTarget(options, env);
  const demo = generateDemo(seed, count);
  const byId = new Map(demo.map((entry) => [entry.lead.id, entry]));
  const startedAt = Date.now();
  const say = (line: string, ...details: string[]) => {
    const elapsed = Math.round((Date.now() - startedAt) / 1000);
    print(`[${Math.floor(elapsed / 60)}:${String(elapsed % 60).padStart(2, '0')}] ${line}`);
    for (const detail of details) print(`       ${detail}`);
  };

  print(`nurture demo: ${count} leads (seed ${seed}) into ${target.api}`);

  // 0. A small sales team, so handoffs are assigned by territory, working hours and round robin.
  const team = new Set((await callApi(target, 'GET', '/v1/reps', repListSchema)).items.map((rep) => rep.id));
  const joined = DEMO_REPS.filter((rep) => !team.has(rep.id));
  for (const rep of joined) await callApi(target, 'POST', '/v1/reps', repListSchema.shape.items.element, rep);
  say(`${plural(DEMO_REPS.length, 'sales rep')} (${joined.length} new): ${DEMO_REPS.map((rep) => `${rep.name} (${rep.territories.join(', ') || 'anywhere else'})`).join('; ')}`);

  // 1. Leads arrive: each POST creates the lead's workflow, which routes it and sends its first touch.
  let created = 0;
  await inParallel(demo, async ({ lead }) => {
    if ((await callApi(target, 'POST', '/v1/leads', createdSchema, lead)).created) created++;
  });
  // What brought each lead in happened just before it was created, so it is not news to the engine.
  const arrivals = await sendWave(target, demo, 'arrival', new Date(startedAt - 60_000));
  say(
    `${count} leads arrived (${created} new${created < count ? `, ${count - created} already there` : ''}): ${countBy(demo, (entry) => entry.lead.source)}`,
    `${arrivals.accepted} arrival events: webinar attended, content downloaded, ad clicked${duplicatesNote(arrivals)}`,
  );

  // 2. Most leads read a little: opens, blog and docs; some stay quiet.
  const engagement = await sendWave(target, demo, 'engagement', new Date());
  const quiet = demo.filter((entry) => entry.behaviour === 'quiet').length;
  say(`${engagement.accepted} engagement events from ${plural(leadsIn(demo, 'engagement'), 'lead')}: email opens, blog, docs and careers pages${duplicatesNote(engagement)}; ${plural(quiet, 'lead')} stay quiet`);

  // 3. Some show intent: a pricing visit after a touch pulls the next touch forward. Watched are
  // leads whose fit keeps them below the handoff threshold, once their first touch is decided.
  const candidates = pricingVisitors(demo)
    .filter((entry) => entry.fit !== 'high' && entry.lead.consent?.email !== false)
    .sort((a, b) => Number(b.fit === 'mid') - Number(a.fit === 'mid'))
    .slice(0, 8);
  const before = await until('start the first leads', async () => {
    const read = await readLeads(target, candidates);
    // Decided: a next touch is set, or sales has the lead (nurture waits while a handoff is open).
    return read.every(({ detail }) => detail.state?.nextTouchAt || detail.state?.openHandoff) ? read : undefined;
  });
  const watched = before.filter(({ detail }) => detail.state!.counters.touches > 0 && detail.state!.nextTouchAt);
  const intent = await sendWave(target, demo, 'intent', new Date());
  const demoRequesters = demo.filter((entry) => entry.behaviour === 'demo');
  say(`${plural(pricingVisitors(demo).length, 'lead')} viewed pricing (some also the security page), ${demoRequesters.length} a customer story${duplicatesNote(intent)}`);
  const after = await until('fold the pricing visits into the leads', async () => {
    const read = await readLeads(target, watched.map(({ entry }) => entry));
    return read.every(({ entry, detail }) => (detail.state?.counters.events ?? 0) >= eventsUpTo(entry, 'intent')) ? read : undefined;
  });
  const moved = after.flatMap(({ entry, detail }, i) => {
    const [from, to] = [watched[i]!.detail.state!.nextTouchAt!, detail.state?.nextTouchAt];
    return to && !detail.state!.openHandoff && Date.parse(to) < Date.parse(from) ? [{ entry, from, to, tier: detail.state!.tier }] : [];
  });
  for (const { entry, from, to, tier } of moved.slice(0, 1)) say(`next touch of ${who(entry)} pulled forward: ${when(from, entry)} → ${when(to, entry)}, tier ${tier}`);
  if (!moved.length) {
    say(watched.length ? 'no next touch moved: these visits were folded in an earlier run' : "no next touch moved: intent pulls a touch forward only after one went out, and these leads' first emails wait for their send window");
  }

  // 4. A handful ask for a demo: the qualification rule hands them to sales at once.
  const requests = await sendWave(target, demo, 'demo', new Date());
  say(`${plural(demoRequesters.length, 'lead')} requested a demo${duplicatesNote(requests)}`);
  const handoffs = await until('open a handoff for every demo request', async () => {
    const items = (await listHandoffs(target)).filter((item) => byId.has(item.leadId));
    return demoRequesters.every((entry) => items.some((item) => item.leadId === entry.lead.id)) ? items : undefined;
  });
  const tasks = (await Promise.all(handoffs.map((item) => callApi(target, 'GET', `/v1/handoffs/${encodeURIComponent(item.id)}`, handoffDetailSchema)))).sort(
    (a, b) => b.context.scores.total - a.context.scores.total,
  );
  const onRequest = (task: (typeof tasks)[number]) => task.context.reason === 'demo request';
  // The two best-scored on a demo request and one on score, when there is one.
  const shown = [...tasks.filter(onRequest).slice(0, 2), ...tasks.filter((task) => !onRequest(task)).slice(0, 1)];
  say(
    `${plural(tasks.length, 'sales handoff')} opened, ${tasks.filter(onRequest).length} on a demo request and ${tasks.filter((task) => !onRequest(task)).length} on score after a pricing or security visit: ${countBy(tasks, (task) => task.status)}`,
    ...shown.flatMap((task) => handoffLine(task, byId.get(task.leadId)!)),
  );

  // 5. Where every lead stands, read back lead by lead once the engine has folded all it was sent.
  const details = new Map<string, LeadDetail>();
  const caughtUp = (entry: DemoLead) => (details.get(entry.lead.id)?.state?.counters.events ?? -1) >= entry.events.length;
  await until('fold every event into its lead', async () => {
    for (const { entry, detail } of await readLeads(target, demo.filter((entry) => !caughtUp(entry)))) details.set(entry.lead.id, detail);
    return demo.every(caughtUp) || undefined;
  });
  const states = [...details.values()].map((detail) => detail.state!);
  const emails = [...details.values()].flatMap((detail) => detail.recentSends.filter((send) => send.channel === 'email' && send.status === 'sent'));
  const texts = [...details.values()].flatMap((detail) => detail.recentSends.filter((send) => send.channel === 'sms' && send.status === 'sent'));
  const textable = states.filter((state) => !state.holdout && state.consent.sms).length;
  const waiting = states.filter((state) => !state.holdout && state.consent.email !== false && state.counters.touches === 0 && state.nextTouchAt);
  say(
    `where the ${count} leads stand`,
    // The first sequence a lead entered: routed by source, title and industry.
    `sequences: ${countBy(states, (state) => state.history[0]?.id ?? state.sequence?.id ?? 'none')}`,
    `stages: ${countBy(states, (state) => state.stage)}; cadence tiers: ${countBy(states, (state) => state.tier)}`,
    `${emails.length} emails sent: ${countBy(emails, (send) => send.template ?? 'untitled')}`,
    // Webinar attendees who opted in get a text that day, inside 09:00-20:00 where their number is.
    `${plural(texts.length, 'text')} sent to the ${plural(textable, 'lead')} who opted in to SMS${texts.length < textable ? "; the others wait for 09:00-20:00 in the lead's zone" : ''}`,
    ...(waiting.length
      ? [
          `${plural(waiting.length, 'first touch', 'first touches')} wait for the lead's send window, the earliest in ${hoursUntil(Math.min(...waiting.map((state) => Date.parse(state.nextTouchAt!))))} h`,
          '(08:00-18:00 Mon-Fri in the lead\'s zone by default; an engine started with NURTURE_EMAIL_WINDOW=00:00-24:00,mon-sun sends at any hour)',
        ]
      : []),
    `${states.filter((state) => state.holdout).length} in the holdout (scored, never touched); ${states.filter((state) => state.consent.email === false).length} without email consent (touches skipped)`,
  );
  print(`done in ${Math.round((Date.now() - startedAt) / 1000)} s. The emails and texts: \`npm run nurture -- outbox\`; a lead: GET /v1/leads/${(demoRequesters[0] ?? demo[0]!).lead.id}; the handoffs: GET /v1/handoffs?status=open`);
}

/** Sends a wave's events in batches, stamped with `at`; what the API accepted and ignored as duplicates. */
async function sendWave(target: Target, demo: DemoLead[], wave: Wave, at: Date) {
  const events = demo.flatMap((entry) => entry.events.filter((planned) => planned.wave === wave).map(({ event }) => ({ ...event, occurredAt: at.toISOString() })));
  const batches = Array.from({ length: Math.ceil(events.length / MAX_EVENTS_PER_BATCH) }, (_, i) => events.slice(i * MAX_EVENTS_PER_BATCH, (i + 1) * MAX_EVENTS_PER_BATCH));
  const total = { accepted: 0, duplicates: 0 };
  for (const batch of batches) {
    const stored = await callApi(target, 'POST', '/v1/events', ingestedSchema, { events: batch });
    total.accepted += stored.accepted;
    total.duplicates += stored.duplicates;
  }
  return total;
}

function duplicatesNote({ duplicates }: { duplicates: number }): string {
  return duplicates ? ` (${duplicates} already sent in an earlier run, ignored)` : '';
}

/** Leads that show intent on the pricing page (demo requesters read a customer story instead). */
function pricingVisitors(demo: DemoLead[]): DemoLead[] {
  return demo.filter((entry) => entry.behaviour === 'intent');
}

function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

function leadsIn(demo: DemoLead[], wave: Wave): number {
  return demo.filter((entry) => entry.events.some((planned) => planned.wave === wave)).length;
}

/** How many of the lead's events the engine has once it has folded every wave up to `wave`. */
function eventsUpTo(entry: DemoLead, wave: Wave): number {
  return entry.events.filter((planned) => WAVES.indexOf(planned.wave) <= WAVES.indexOf(wave)).length;
}

async function readLeads(target: Target, entries: DemoLead[]): Promise<{ entry: DemoLead; detail: LeadDetail }[]> {
  const details: LeadDetail[] = [];
  await inParallel(entries.map((_, i) => i), async (i) => void (details[i] = await callApi(target, 'GET', `/v1/leads/${encodeURIComponent(entries[i]!.lead.id)}`, leadSchema)));
  return entries.map((entry, i) => ({ entry, detail: details[i]! }));
}

function handoffLine(handoff: z.infer<typeof handoffDetailSchema>, entry: DemoLead): string[] {
  const { context } = handoff;
  const lead = entry.lead;
  return [
    `${handoff.id} → ${handoff.owner ? `${handoff.owner} (${routedBy(handoff.assignments[0], entry)})` : 'unassigned (no active rep covers it)'}: ${who(entry)}, ${lead.industry}, ${lead.companySize} people, ${lead.country}`,
    `  why: ${context.reason}; score ${Math.round(context.scores.total)} (fit ${Math.round(context.scores.fit)}, intent ${Math.round(context.scores.intent)}); path ${context.path.map((step) => step.key).join(' → ')}`,
  ];
}

/** How the owner was chosen, and when they start if they were not working. */
function routedBy(assignment: z.infer<typeof handoffDetailSchema>['assignments'][number] | undefined, entry: DemoLead): string {
  if (!assignment) return 'assigned';
  const rule = assignment.rule.replace(/_/g, ' ');
  return assignment.startsAt ? `${rule}; starts ${when(assignment.startsAt, entry)}` : `${rule}; working now`;
}

function who({ lead }: DemoLead): string {
  return `${lead.firstName} ${lead.lastName} (${lead.title}, ${lead.company})`;
}

/** An instant in the lead's own zone, and how far away it is. */
function when(iso: string, { lead }: DemoLead): string {
  const at = new Date(iso);
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: lead.timezone ?? 'UTC', weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(at);
  const hours = hoursUntil(at.getTime());
  return `${local} (in ${hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`})`;
}

function hoursUntil(epochMs: number): number {
  return Math.max(0, Math.round((epochMs - Date.now()) / 3_600_000));
}

/** `a 3, b 2`: how many items fall under each key, most first. */
function countBy<T>(items: T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name, n]) => `${name} ${n}`).join(', ') || 'none';
}

async function inParallel<T>(items: T[], job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
    while (next < items.length) await job(items[next++]!);
  }));
}

/** Every sales handoff, a page at a time. */
async function listHandoffs(target: Target): Promise<z.infer<typeof handoffSchema>[]> {
  const items: z.infer<typeof handoffSchema>[] = [];
  let cursor: string | null = null;
  do {
    const page: z.infer<typeof handoffListSchema> = await callApi(target, 'GET', `/v1/handoffs?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, handoffListSchema);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Polls until `probe` gives a value; the engine works asynchronously, so the demo waits for it. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + CATCH_UP_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new InputError(`the engine did not ${what} within ${CATCH_UP_MS / 1000} s: are its workers running?`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
