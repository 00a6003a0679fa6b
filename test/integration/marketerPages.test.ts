// The marketers' pages in a real Chromium, after `nurture demo` against `nurture start` (its own
// embedded servers): a marketer signs in with a key of the marketing scope (one without it is
// refused), reads the demo's handoffs in the overview's funnel, a sequence's step counts and a lead's
// first email with the reason it went out, and runs a preview that shows the touches `nurture
// simulate` prints for the same input, and a backtest of a lower MQL bar. Every number read is the
// API's; no page logs an error or needs scrolling sideways on a phone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { getFreePort } from '../../app/net';
import { generateDemo } from '../../cli/demoData';
import { consoleErrors, launchChromium } from '../support/browser';
import { engineEnv, interrupt, ROOT, runNurture, startEngine, type Engine } from '../support/engineProcess';

const LEADS = 40;
/** A deployment that emails at any hour, so first emails go out whatever the day. */
const SETTINGS = { NURTURE_EMAIL_WINDOW: '00:00-24:00,mon-sun' };
const screenshot = (name: string) => path.join(ROOT, 'docs/images', `${name}.png`);

let engine: Engine;
let dataDir: string;
let port: number;
let browser: Browser;
let marketingKey: string;
let salesKey: string;

/** `nurture keys create` as an admin runs it; resolves to the new key's secret. */
async function createKey(scope: string, name: string): Promise<string> {
  const created = await runNurture(['keys', 'create', '--scope', scope, '--name', name, '--api', engine.api, '--key', engine.key]);
  expect(created).toMatchObject({ code: 0 });
  return created.output.split('\n')[0]!;
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-marketing-'));
  port = await getFreePort();
  [engine, browser] = await Promise.all([startEngine(dataDir, port, SETTINGS), launchChromium()]);
  const demo = await runNurture(['demo', '--leads', String(LEADS), '--api', engine.api, '--key', engine.key]);
  expect(demo).toMatchObject({ code: 0 });
  [marketingKey, salesKey] = await Promise.all([createKey('marketing', 'Mara (marketing)'), createKey('sales', 'a sales key')]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (engine?.child.exitCode === null) await interrupt(engine);
});

async function api(route: string): Promise<any> {
  const response = await fetch(`${engine.api}${route}`, { headers: { authorization: `Bearer ${marketingKey}` } });
  expect(response.status).toBe(200);
  return response.json();
}

async function signIn(page: Page, key: string) {
  await page.goto(`${engine.api}/app`);
  await page.getByLabel('Marketing key').fill(key);
  await page.getByRole('button', { name: 'Sign in with the key' }).click();
}

const number = async (page: Page, selector: string) => Number(await page.locator(selector).first().textContent());

it('shows a marketer the funnel, a sequence, a lead and a preview, each as the API and `nurture simulate` have it', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();

  // A key without the marketing scope does not sign in (the browser logs the 401 of that answer).
  await signIn(page, salesKey);
  await page.getByText('key: unknown, revoked, or without the marketing scope').waitFor();
  await page.goto(`${engine.api}/app/overview`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();

  const errors = consoleErrors(page);
  await signIn(page, marketingKey);
  await page.waitForURL('**/app/overview');
  // The keyboard reaches the content first.
  await page.keyboard.press('Tab');
  await expect(page.evaluate<string | undefined>('document.activeElement?.textContent')).resolves.toBe('Skip to content');

  // The overview's funnel is the funnel report of its period, with the demo's handoffs in it.
  const report = page.locator('#report');
  const [from, to] = [await report.getAttribute('data-from'), await report.getAttribute('data-to')];
  const funnel = await api(`/v1/metrics/funnel?from=${encodeURIComponent(from!)}&to=${encodeURIComponent(to!)}&cohort=week`);
  expect(funnel.handoffs.total).toBeGreaterThan(0);
  await expect(number(page, '#handoffs')).resolves.toBe(funnel.handoffs.total);
  for (const stage of funnel.stages as string[]) {
    const total = funnel.cohorts.reduce((sum: number, row: { counts: Record<string, number> }) => sum + row.counts[stage]!, 0);
    await expect(number(page, `[data-stage="${stage}"]`)).resolves.toBe(total);
  }
  expect(await number(page, '[data-stage="lead"]')).toBeGreaterThanOrEqual(LEADS);
  await page.screenshot({ path: screenshot('marketing-overview'), fullPage: true });

  // The sequence that sent most: each step's counts as the API reports them.
  const sequences = (await api('/v1/sequences')).items as { id: string; name: string; sent: number }[];
  const busiest = [...sequences].sort((a, b) => b.sent - a.sent)[0]!;
  expect(busiest.sent).toBeGreaterThan(0);
  await page.getByRole('link', { name: 'Sequences' }).click();
  await page.getByRole('link', { name: busiest.name }).click();
  const sequence = await api(`/v1/sequences/${busiest.id}`);
  await expect(page.locator('#leads-now').textContent()).resolves.toContain(String(sequence.leadsNow));
  for (const step of sequence.steps as { id: string; sent: number; deferred: number; skipped: number; leadsHere: number }[]) {
    const card = page.locator(`[data-step="${step.id}"]`);
    if (step.sent + step.deferred + step.skipped === 0) continue;
    await expect(Number(await card.locator('[data-stat="sent"]').textContent())).toBe(step.sent);
    await expect(Number(await card.locator('[data-stat="deferred"]').textContent())).toBe(step.deferred);
    await expect(Number(await card.locator('[data-stat="skipped"]').textContent())).toBe(step.skipped);
    if (step.leadsHere) await expect(card.locator('[data-leads-here]').getAttribute('data-leads-here')).resolves.toBe(String(step.leadsHere));
  }
  expect(sequence.steps.some((step: { sent: number }) => step.sent > 0)).toBe(true);
  await page.screenshot({ path: screenshot('marketing-sequence'), fullPage: true });

  // A demo lead in nurture that got an email: found by name, its timeline says why the email went out.
  let emailed: { lead: { id: string; firstName: string; lastName: string } } | undefined;
  for (const entry of generateDemo(1, LEADS)) {
    const detail = await api(`/v1/leads/${entry.lead.id}`);
    const inNurture = ['lead', 'mql'].includes(detail.profile.stage) && !detail.openHandoff;
    if (inNurture && detail.recentSends.some((send: { channel: string; status: string }) => send.channel === 'email' && send.status === 'sent')) {
      emailed = entry as typeof emailed;
      break;
    }
  }
  expect(emailed).toBeDefined();
  await page.getByRole('link', { name: 'Leads', exact: true }).click();
  await page.getByLabel('Name or company').fill(`${emailed!.lead.firstName} ${emailed!.lead.lastName}`);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator(`a[href="/app/leads/${emailed!.lead.id}"]`).click();
  const firstEmail = page.locator('.timeline li.touch', { hasText: 'email sent' }).first();
  await expect(firstEmail.textContent()).resolves.toMatch(/email sent: [a-z-]+\/[a-z-]+, because rule .+; tier \w+; score \d+ \(fit \d+, intent \d+\)/);
  // Paused from its page, as the API then has it, and resumed.
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Resume' }).waitFor();
  expect((await api(`/v1/leads/${emailed!.lead.id}`)).state.paused).toBe(true);
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('button', { name: 'Pause' }).waitFor();
  expect((await api(`/v1/leads/${emailed!.lead.id}`)).state.paused).toBe(false);
  // Its profile and consent are one click from the preview.
  await page.getByRole('link', { name: 'Preview what the engine would do with this lead' }).click();
  expect(JSON.parse(await page.getByLabel(/The lead/).inputValue())).toMatchObject({ id: emailed!.lead.id, firstName: emailed!.lead.firstName, consent: { email: true } });

  // The preview of the example lead and events: the touches `nurture simulate` prints for them.
  const simulated = await runNurture(['simulate', '--lead', 'examples/lead.json', '--events', 'examples/events.jsonl', '--until', '60d', '--json'], engineEnv(dataDir, port, SETTINGS));
  expect(simulated.code).toBe(0);
  const expected = (JSON.parse(simulated.output) as { touches: { at: string; channel: string; sequence: string; step: string; template?: string; tier: string }[] }).touches;
  expect(expected.length).toBeGreaterThan(0);
  const events = fs
    .readFileSync(path.join(ROOT, 'examples/events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; occurredAt: string; properties: object });
  await page.getByRole('link', { name: 'Preview' }).click();
  await page.getByLabel(/The lead/).fill(fs.readFileSync(path.join(ROOT, 'examples/lead.json'), 'utf8'));
  await page.getByLabel('Lead arrives (UTC)').fill(events[0]!.occurredAt.slice(0, 16));
  await page.getByLabel('Run for').fill('60d');
  for (const [i, event] of events.entries()) {
    await page.getByLabel(`When event ${i + 1} happens`).fill(event.occurredAt.slice(0, 16));
    await page.getByLabel(`Event ${i + 1}`, { exact: true }).selectOption(event.type);
    await page.getByLabel(`Properties of event ${i + 1}`).fill(JSON.stringify(event.properties));
  }
  await page.getByRole('button', { name: 'Run the preview' }).click();
  await page.getByRole('heading', { name: 'What the engine would do' }).waitFor();
  const rows = await page.locator('#touches tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  expect(rows).toEqual(expected.map((touch) => [touch.at, touch.channel, `${touch.sequence}/${touch.step}`, touch.template ?? '', touch.tier]));

  // The backtest: the working catalog with the live bars changes nothing (the live catalog read back
  // from the database is the one the workers run); a lower MQL bar makes more MQLs.
  await page.getByRole('link', { name: 'Backtest' }).click();
  await page.getByRole('button', { name: 'Run the backtest' }).click();
  await page.getByRole('heading', { name: /leads, live against the candidate/ }).waitFor();
  await expect(page.getByRole('heading', { name: /leads, live against the candidate/ }).textContent()).resolves.toBe(`${LEADS} leads, live against the candidate`);
  await expect(page.locator('#changed').textContent()).resolves.toBe('0');
  const live = await number(page, '[data-mqls="live"]');
  await expect(number(page, '[data-mqls="candidate"]')).resolves.toBe(live);
  await page.getByLabel('MQL at a total score of').fill('30');
  await page.getByRole('button', { name: 'Run the backtest' }).click();
  await page.getByRole('heading', { name: /leads, live against the candidate/ }).waitFor();
  await expect(number(page, '[data-mqls="live"]')).resolves.toBe(live);
  expect(await number(page, '[data-mqls="candidate"]')).toBeGreaterThan(live);
  expect(Number(await page.locator('#changed').textContent())).toBeGreaterThan(0);

  expect(errors).toEqual([]);
  await context.close();
}, 120_000);

it('fits every page on a phone, from the keyboard, without a console error', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true });
  const page = await context.newPage();
  const errors = consoleErrors(page);
  await signIn(page, marketingKey);
  await page.waitForURL('**/app/overview');
  const lead = generateDemo(1, LEADS)[0]!.lead.id;
  const sequence = (await api('/v1/sequences')).items[0].id;
  const tooWide: string[] = [];
  for (const route of ['/app/overview', '/app/sequences', `/app/sequences/${sequence}`, '/app/experiments', '/app/leads', `/app/leads/${lead}`, '/app/preview', '/app/backtest']) {
    const response = await page.goto(`${engine.api}${route}`);
    expect(response?.status()).toBe(200);
    // Nothing wider than the screen: wide tables scroll inside their own box.
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    if (width > 360) tooWide.push(`${route}: ${width} px`);
  }
  expect(tooWide).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
}, 60_000);
