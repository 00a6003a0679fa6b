// Desk actions on an open handoff over the HTTP API: a manager reassigns the task to a rep by name
// (who gets the alert email at a real SMTP server, the round recorded as manual), a rep who is not
// one is refused naming `to`, and the owner snoozes it to a time they promise. The real workflows
// on the dev server, the API, PostgreSQL.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type { Pool } from 'pg';
import type { AlertSettings } from '../../channels/salesAlerts';
import { startSmtpServer, type SmtpSinkServer } from '../../devstack/smtpSink';
import { actOnHandoff, decideHandoff } from '../../api/handoffDecisions';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { callApi, withApi } from '../support/api';
import { anyHourCatalog, eventually, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;
let pool: Pool, nativeConnection: NativeConnection, client: Client;
// Before the servers' own: hooks after all tests run in the order they are declared, and the pool closes in theirs.
afterAll(async () => {
  alerts?.transport.close();
  await smtp?.close();
  // The reps table is shared by the files of this run: these reps leave routing.
  await pool.query("UPDATE reps SET active = false WHERE name LIKE 'Desk test %'");
});
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });

let smtp: SmtpSinkServer;
const mails: ParsedMail[] = [];
let alerts: AlertSettings;

beforeAll(async () => {
  smtp = await startSmtpServer({ onMessage: async (raw) => void mails.push(await simpleParser(raw)) });
  alerts = { transport: nodemailer.createTransport({ url: smtp.url, pool: true }), from: 'Nurture <alerts@relay.example>', publicUrl: 'http://127.0.0.1:1', signingSecret: 'desk-actions-link-secret-0123456789' };
});

type Call = (method: string, route: string, payload?: unknown) => ReturnType<typeof callApi>;

const mailTo = (address: string) => eventually(async () => mails.find((mail) => mail.to && [mail.to].flat().some((to) => to.value.some((v) => v.address === address))));

/** The API in front of the production lead worker, with alerts to the SMTP sink. */
function withEngine(body: (call: Call) => Promise<void>) {
  const productionLeadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) =>
    engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle, alerts });
  return withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, ({ taskQueue }) =>
    withApi({ pool, client, taskQueue, leadOptions: { handoff: { sla: '1h' } } }, ({ url }) => body((method, route, payload) => callApi(`${url}${route}`, method, adminKey, payload))),
  );
}

describe('desk actions on a handoff', () => {
  it('reassigns the task to the rep named, who is alerted, and records the round as manual; a rep who is not one is refused naming to', async () => {
    const tag = randomUUID().slice(0, 8);
    const [first, second, gone] = [`ana-${tag}`, `ben-${tag}`, `cy-${tag}`];
    await withEngine(async (call) => {
      // Malta's rep takes the lead; the others cover Andorra, so only a manager gives them this task.
      await call('POST', '/v1/reps', { id: first, name: `Desk test ${first}`, email: `${first}@relay.example`, territories: ['MT'], industries: ['software'] });
      for (const id of [second, gone]) await call('POST', '/v1/reps', { id, name: `Desk test ${id}`, email: `${id}@relay.example`, territories: ['AD'], industries: ['software'] });
      await call('POST', `/v1/reps/${gone}/deactivate`);
      const leadId = `lead-${randomUUID()}`;
      const lead = { id: leadId, email: `ines@${leadId}.example`, firstName: 'Ines', lastName: 'Duarte', title: 'VP Operations', company: 'Northwind', industry: 'software', companySize: 300, country: 'MT' };
      expect((await call('POST', '/v1/leads', lead)).status).toBe(201);
      await call('POST', '/v1/events', { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} });
      const handoffId = `handoff-${leadId}-1`;
      await mailTo(`${first}@relay.example`);
      expect((await call('GET', `/v1/handoffs/${handoffId}`)).body).toMatchObject({ status: 'open', owner: first });

      // Refused before the workflow is asked, and by the workflow alike: the field is named.
      const unknown = await call('POST', `/v1/handoffs/${handoffId}/reassign`, { to: `nobody-${tag}` });
      expect(unknown).toMatchObject({ status: 422, body: { details: [{ path: 'body.to', message: `there is no rep nobody-${tag}` }] } });
      const inactive = await call('POST', `/v1/handoffs/${handoffId}/reassign`, { to: gone });
      expect(inactive).toMatchObject({ status: 422, body: { details: [{ path: 'body.to', message: `${gone} is not active` }] } });
      const owner = await call('POST', `/v1/handoffs/${handoffId}/reassign`, { to: first });
      expect(owner).toMatchObject({ status: 422, body: { details: [{ path: 'body.to', message: `to: ${first} has the task already` }] } });
      expect((await call('POST', `/v1/handoffs/${handoffId}/reassign`, { to: '' })).body.details).toEqual([expect.objectContaining({ path: 'body.to' })]);

      const reassignedAt = Date.now();
      const reassigned = await call('POST', `/v1/handoffs/${handoffId}/reassign`, { to: second, by: 'morgan', note: 'Ana is on leave this week' });
      expect(reassigned).toMatchObject({ status: 200, body: { id: handoffId, status: 'open', owner: second, escalations: 0 } });
      expect(Date.parse(reassigned.body.slaDueAt) - reassignedAt).toBeGreaterThan(55 * 60_000);

      const alert = await mailTo(`${second}@relay.example`);
      expect(alert.subject).toBe('Ines Duarte (Northwind): demo request');
      expect(alert.text).toContain(`Hi Desk test ${second}, a lead is waiting for you.`);
      const task = (await call('GET', `/v1/handoffs/${handoffId}`)).body;
      expect(task).toMatchObject({ status: 'open', owner: second, escalations: 0, note: 'Ana is on leave this week', slaDueAt: reassigned.body.slaDueAt });
      expect(task.assignments).toEqual([
        expect.objectContaining({ round: 0, owner: first, rule: 'territory_and_segment' }),
        expect.objectContaining({ round: 1, owner: second, rule: 'manual', by: 'morgan', candidates: [second], skipped: [] }),
      ]);
      expect(task.alerts).toEqual(expect.arrayContaining([expect.objectContaining({ rep: second, kind: 'assigned', channel: 'email', status: 'sent' })]));
      // The first owner was alerted once, when the task was theirs.
      expect(mails.filter((mail) => [mail.to].flat().some((to) => to?.value.some((v) => v.address === `${first}@relay.example`)))).toHaveLength(1);
    });
  });

  it('snoozes the task to the time its owner promises, within a week, and refuses desk actions on a closed task', async () => {
    const rep = `dee-${randomUUID().slice(0, 8)}`;
    await withEngine(async (call) => {
      await call('POST', '/v1/reps', { id: rep, name: `Desk test ${rep}`, email: `${rep}@relay.example`, territories: ['SM'], industries: ['software'] });
      const leadId = `lead-${randomUUID()}`;
      const lead = { id: leadId, email: `ines@${leadId}.example`, firstName: 'Ines', title: 'VP Operations', industry: 'software', companySize: 300, country: 'SM' };
      expect((await call('POST', '/v1/leads', lead)).status).toBe(201);
      await call('POST', '/v1/events', { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} });
      const handoffId = `handoff-${leadId}-1`;
      await eventually(async () => ((await call('GET', `/v1/handoffs/${handoffId}`)).body?.owner === rep ? true : undefined));

      const past = new Date(Date.now() - 60_000).toISOString();
      expect(await call('POST', `/v1/handoffs/${handoffId}/snooze`, { until: past })).toMatchObject({ status: 422, body: { details: [{ path: 'body.until', message: `until ${past} is not in the future` }] } });
      const tooFar = new Date(Date.now() + 8 * 24 * 3600_000).toISOString();
      expect(await call('POST', `/v1/handoffs/${handoffId}/snooze`, { until: tooFar })).toMatchObject({ status: 422, body: { details: [{ path: 'body.until' }] } });
      expect(await call('POST', `/v1/handoffs/${handoffId}/snooze`, { until: 'tomorrow' })).toMatchObject({ status: 400, body: { details: [{ path: 'body.until' }] } });

      const until = new Date(Date.now() + 3 * 3600_000).toISOString();
      const snoozed = await call('POST', `/v1/handoffs/${handoffId}/snooze`, { until });
      expect(snoozed).toMatchObject({ status: 200, body: { status: 'open', owner: rep, escalations: 0, slaDueAt: until, snoozedUntil: until } });
      expect((await call('GET', `/v1/handoffs/${handoffId}`)).body).toMatchObject({ status: 'open', owner: rep, slaDueAt: until });

      expect((await call('POST', `/v1/handoffs/${handoffId}/accept`, { by: rep })).status).toBe(200);
      expect((await call('POST', `/v1/handoffs/${handoffId}/snooze`, { until })).status).toBe(409);
      expect((await call('POST', `/v1/handoffs/${handoffId}/reassign`, {})).status).toBe(409);
      // A request that read the task open just before it closed reaches a workflow that has ended: refused the same way.
      await client.workflow.getHandle(handoffId).result();
      await expect(actOnHandoff(pool, client, handoffId, 'snooze', { until })).rejects.toMatchObject({ name: 'DeskActionRefused', status: 409, message: 'the handoff is already accepted' });
      await expect(decideHandoff(pool, client, handoffId, 'reject', { reasonCode: 'bad_timing' })).rejects.toMatchObject({ name: 'AlreadyDecided', message: 'the handoff is already accepted' });
    });
  });
});
