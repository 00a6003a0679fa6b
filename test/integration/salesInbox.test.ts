// The sales inbox in a real Chromium: a rep signs in by the link mailed to them, sees a new handoff
// appear without a reload, opens it from the keyboard and accepts it; another rep's task is refused
// to them, on the page and by a direct post. A manager sees the team's queue. The pages log no
// errors and fit a phone. The real workflows on the dev server, the API, PostgreSQL, an SMTP server.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type { Pool } from 'pg';
import type { Browser, Page } from 'playwright-core';
import { getFreePort } from '../../app/net';
import type { AlertSettings } from '../../channels/salesAlerts';
import { HandoffFeed } from '../../db/repositories/desk';
import { startSmtpServer, type SmtpSinkServer } from '../../devstack/smtpSink';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { callApi, withApi } from '../support/api';
import { consoleErrors, launchChromium } from '../support/browser';
import { ROOT } from '../support/engineProcess';
import { anyHourCatalog, eventually, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;
const LINK_SECRET = 'sales-inbox-link-secret-0123456789';
/** The README's pictures of the inbox and of a task, taken as the test goes. */
const screenshot = (name: string) => path.join(ROOT, 'docs/images', `${name}.png`);
let pool: Pool, nativeConnection: NativeConnection, client: Client;
let smtp: SmtpSinkServer;
let alerts: AlertSettings;
let feed: HandoffFeed;
let browser: Browser;
let port: number;
const mails: ParsedMail[] = [];

// Before the servers' own: hooks after all tests run in the order they are declared, and the pool closes in theirs.
afterAll(async () => {
  await browser?.close();
  alerts?.transport.close();
  await feed?.close();
  await smtp?.close();
  await pool.query("UPDATE reps SET active = false WHERE name LIKE 'Inbox test %'");
});
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });

beforeAll(async () => {
  smtp = await startSmtpServer({ onMessage: async (raw) => void mails.push(await simpleParser(raw)) });
  port = await getFreePort();
  alerts = { transport: nodemailer.createTransport({ url: smtp.url, pool: true }), from: 'Nurture <alerts@relay.example>', publicUrl: `http://127.0.0.1:${port}`, signingSecret: LINK_SECRET };
  feed = await HandoffFeed.listen(pool);
  browser = await launchChromium();
}, 60_000);

type Call = (method: string, route: string, payload?: unknown) => ReturnType<typeof callApi>;

/** The engine with the inbox on: the API on `port` (sign-in mails through the SMTP server) in front of the production lead worker. */
function withEngine(body: (call: Call, url: string) => Promise<void>) {
  const productionLeadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) =>
    engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle, alerts });
  const web = { feed, mailer: { transport: alerts.transport, from: alerts.from } };
  return withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, ({ taskQueue }) =>
    withApi({ pool, client, taskQueue, port, leadOptions: { handoff: { sla: '1h' } }, public: { linkSecret: LINK_SECRET, publicUrl: alerts.publicUrl, web } }, ({ url }) =>
      body((method, route, payload) => callApi(`${url}${route}`, method, adminKey, payload), url),
    ),
  );
}

async function addRep(call: Call, fields: { name: string; territories: string[]; manager?: string }) {
  const id = `inbox-${randomUUID().slice(0, 8)}`;
  const email = `${id}@desk.example`;
  expect((await call('POST', '/v1/reps', { id, email, industries: ['software'], ...fields, name: `Inbox test ${fields.name}` })).status).toBe(201);
  return { id, email };
}

/** A lead of that country asks for a demo: its handoff goes to the country's rep. */
async function demoRequest(call: Call, country: string, firstName: string) {
  const leadId = `lead-${randomUUID()}`;
  const lead = { id: leadId, email: `${firstName.toLowerCase()}@${leadId}.example`, firstName, lastName: 'Duarte', title: 'VP Operations', company: `${firstName} Corp`, industry: 'software', companySize: 300, country };
  expect((await call('POST', '/v1/leads', lead)).status).toBe(201);
  expect((await call('POST', '/v1/events', { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} })).status).toBe(202);
  return { lead, handoffId: `handoff-${leadId}-1` };
}

/** Signs in as the rep through the page and the link mailed to them. */
async function signIn(page: Page, url: string, email: string) {
  await page.goto(`${url}/app`);
  await page.getByLabel('Work email').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  const mail = await eventually(async () => mails.find((m) => [m.to].flat().some((to) => to?.value.some((v) => v.address === email)) && m.subject?.includes('sign-in')));
  const link = /^(http\S+\/app\/sign-in\/\S+)$/m.exec(String(mail.text))![1]!;
  await page.goto(link);
  await Promise.all([liveList(page, '/app/list'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Resolves once the page's live connection is open: it then reads its list afresh. */
const liveList = (page: Page, route: string) => page.waitForResponse((response) => new URL(response.url()).pathname === route && response.ok());

it('signs a rep in by a mailed link, shows a new handoff live, accepts it from the keyboard, and refuses another rep’s task', async () => {
  await withEngine(async (call, url) => {
    const ana = await addRep(call, { name: 'Ana', territories: ['FI'] });
    const ben = await addRep(call, { name: 'Ben', territories: ['PT'] });
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const errors = consoleErrors(page);

    // An address that is not a rep's gets the same answer and no mail.
    await page.goto(`${url}/app`);
    await page.getByLabel('Work email').fill('stranger@desk.example');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(mails.some((m) => [m.to].flat().some((to) => to?.value.some((v) => v.address === 'stranger@desk.example')))).toBe(false);

    await signIn(page, url, ana.email);
    await page.getByText('No open handoffs').waitFor();

    // A demo request in Ana's territory appears in her open page, without a reload.
    const mine = await demoRequest(call, 'FI', 'Ines');
    const item = page.getByRole('link', { name: /Ines Duarte · Ines Corp/ });
    await item.waitFor({ timeout: 30_000 });
    await expect(page.locator('time[data-due]').first().textContent()).resolves.toMatch(/^due in (59|1 h 00 min|\d+:\d\d)/);
    await page.screenshot({ path: screenshot('sales-inbox') });

    // j focuses the first task, Enter opens it: the context is there, and Accept decides.
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Why now' }).waitFor();
    await expect(page.getByText('demo request').first().isVisible()).resolves.toBe(true);
    await page.screenshot({ path: screenshot('sales-handoff'), fullPage: true });
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.locator('.status', { hasText: 'accepted' }).waitFor();
    expect((await call('GET', `/v1/handoffs/${mine.handoffId}`)).body).toMatchObject({ status: 'accepted', owner: ana.id });

    // Ben's task: not on Ana's page, not readable by its address, and a forged post does not act.
    const his = await demoRequest(call, 'PT', 'Rui');
    await eventually(async () => ((await call('GET', `/v1/handoffs/${his.handoffId}`)).body?.owner === ben.id ? true : undefined));
    expect(errors).toEqual([]);
    const shown = await page.goto(`${url}/app/handoffs/${his.handoffId}`);
    expect(shown?.status()).toBe(404);
    // The browser logs the refused page's status as an error: that one is expected.
    expect(errors.splice(0)).toEqual(['Failed to load resource: the server responded with a status of 404 (Not Found)']);
    await expect(page.getByText('Rui Duarte').count()).resolves.toBe(0);
    const forged = await page.request.post(`${url}/app/handoffs/${his.handoffId}/accept`, { form: {}, headers: { origin: url } });
    expect(forged.status()).toBe(404);
    expect((await call('GET', `/v1/handoffs/${his.handoffId}`)).body.status).toBe('open');
    // Through the API with Ana's own key: her tasks only, Ben's as if it did not exist.
    const key = await call('POST', '/v1/keys', { name: 'Ana', scopes: ['sales'], rep: ana.id });
    expect(key.status).toBe(201);
    const asAna = (method: string, route: string, payload?: unknown) => callApi(`${url}${route}`, method, key.body.secret, payload);
    expect((await asAna('GET', `/v1/handoffs/${his.handoffId}`)).status).toBe(404);
    expect((await asAna('POST', `/v1/handoffs/${his.handoffId}/accept`, {})).status).toBe(404);
    expect((await asAna('GET', `/v1/handoffs?owner=${ben.id}&limit=200`)).body.items.map((task: { owner: string }) => task.owner)).toEqual([ana.id]);
    expect((await asAna('GET', `/v1/handoffs/${mine.handoffId}`)).status).toBe(200);
    expect((await call('GET', `/v1/handoffs/${his.handoffId}`)).body.status).toBe('open');
    // A rep's key is a sales key, for a rep who exists.
    expect(await call('POST', '/v1/keys', { name: 'Ana', scopes: ['admin'], rep: ana.id })).toMatchObject({ status: 400, body: { details: [expect.objectContaining({ path: 'body.scopes' })] } });
    expect(await call('POST', '/v1/keys', { name: 'Nobody', scopes: ['sales'], rep: 'nobody-here' })).toMatchObject({ status: 422, body: { details: [{ path: 'body.rep', message: 'no active rep nobody-here' }] } });

    // The marketers' pages are not a rep's: read or posted to, they refuse her session.
    const overview = await page.goto(`${url}/app/overview`);
    expect(overview?.status()).toBe(403);
    await page.getByText('These pages are for marketers').waitFor();
    expect(errors.splice(0)).toEqual(['Failed to load resource: the server responded with a status of 403 (Forbidden)']);
    expect((await page.request.post(`${url}/app/leads/${mine.lead.id}/pause`, { form: {}, headers: { origin: url } })).status()).toBe(403);

    // A post from another site's page is refused whoever is signed in.
    expect((await page.request.post(`${url}/app/handoffs/${mine.handoffId}/reject`, { form: { reasonCode: 'bad_timing' }, headers: { origin: 'https://evil.example' } })).status()).toBe(403);

    // On a phone the inbox fits the screen's width.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${url}/app`);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    // Signing out ends the session: the inbox asks to sign in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Work email').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
}, 120_000);

it('shows a manager the team’s queue, live, and only to managers', async () => {
  await withEngine(async (call, url) => {
    const lead = await addRep(call, { name: 'Lina', territories: ['LV'] });
    const rep = await addRep(call, { name: 'Caio', territories: ['EE'], manager: lead.id });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await signIn(page, url, lead.email);
    await Promise.all([liveList(page, '/app/team/list'), page.getByRole('link', { name: 'Team queue' }).click()]);

    const request = await demoRequest(call, 'EE', 'Mari');
    const row = page.locator('li.task', { hasText: 'Mari Duarte' });
    await row.waitFor({ timeout: 30_000 });
    await expect(row.locator('.owner').textContent()).resolves.toBe(rep.id);
    // The manager may read the report's task.
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'Why now' }).waitFor();
    expect(page.url()).toContain(request.handoffId);

    // The manager takes the task, then snoozes it for two hours as its new owner.
    await page.getByLabel('Reassign to').selectOption({ label: 'Inbox test Lina (me)' });
    await page.getByRole('button', { name: 'Reassign' }).click();
    await page.getByText(`assigned to ${lead.id}`).waitFor();
    await page.getByLabel('Snooze for').selectOption('2h');
    const snoozedAt = Date.now();
    await page.getByRole('button', { name: 'Snooze' }).click();
    await page.locator('time[data-due]', { hasText: /due in (1 h 59 min|2 h 00 min)/ }).waitFor();
    const task = (await call('GET', `/v1/handoffs/${request.handoffId}`)).body;
    expect(task).toMatchObject({ status: 'open', owner: lead.id, assignments: expect.arrayContaining([expect.objectContaining({ owner: lead.id, rule: 'manual' })]) });
    expect(Math.abs(Date.parse(task.slaDueAt) - (snoozedAt + 2 * 3_600_000))).toBeLessThan(60_000);
    expect(errors).toEqual([]);

    // A rep who manages no one has no team queue.
    const other = await browser.newContext();
    const repPage = await other.newPage();
    await signIn(repPage, url, rep.email);
    await expect(repPage.getByRole('link', { name: 'Team queue' }).count()).resolves.toBe(0);
    const teamPage = await repPage.goto(`${url}/app/team`);
    expect(teamPage?.status()).toBe(403);
    await Promise.all([context.close(), other.close()]);
  });
}, 120_000);
