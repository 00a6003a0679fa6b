// CRM outcomes close the funnel: through the API, a lead becomes an opportunity and then a customer
// in its workflow and in PostgreSQL, and the funnel report counts the whole path by source.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { SIGNATURE_HEADER, signWebhook } from '../../channels/webhook';
import { callApi, withApi } from '../support/api';
import { anyHourCatalog, eventually, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;
let pool: Pool, nativeConnection: NativeConnection, client: Client;
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });

const productionLeadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) =>
  engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle });

it('moves a lead through sql, opportunity and customer, and the funnel shows the whole path', async () => {
  await withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, async ({ taskQueue }) => {
    await withApi({ pool, client, taskQueue }, async ({ url }) => {
      const call = (method: string, route: string, body?: unknown) => callApi(`${url}${route}`, method, adminKey, body);
      const source = `crm-test-${randomUUID().slice(0, 8)}`;
      const leadId = `lead-${randomUUID()}`;
      await call('POST', '/v1/leads', { id: leadId, email: `kim@${leadId}.example`, title: 'VP Operations', industry: 'software', companySize: 300, country: 'US', source });
      await call('POST', '/v1/events', { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} });
      const handoffId = `handoff-${leadId}-1`;
      await eventually(async () => ((await call('GET', `/v1/handoffs/${handoffId}`)).status === 200 ? true : undefined));
      expect((await call('POST', `/v1/handoffs/${handoffId}/accept`, {})).body.status).toBe('accepted');

      const stageOf = (wanted: string) => eventually(async () => ((await call('GET', `/v1/leads/${leadId}`)).body.state?.stage === wanted ? wanted : undefined));
      await stageOf('sql');
      expect(await call('POST', `/v1/leads/${leadId}/outcomes`, { outcome: 'opportunity_created' })).toMatchObject({ status: 200, body: { accepted: true } });
      await stageOf('opportunity');
      expect((await call('POST', `/v1/leads/${leadId}/outcomes`, { outcome: 'opportunity_created' })).body).toMatchObject({ error: 'the lead is already an opportunity', details: [{ path: 'body.outcome' }] });
      expect((await call('POST', `/v1/leads/${leadId}/outcomes`, { outcome: 'closed_won' })).status).toBe(200);
      await stageOf('customer');
      expect((await call('POST', `/v1/leads/${leadId}/outcomes`, { outcome: 'closed_lost', reason: 'too pricey' })).body.details).toEqual([expect.objectContaining({ path: 'body.reason' })]);
      expect((await call('POST', '/v1/leads/nobody/outcomes', { outcome: 'closed_won' })).status).toBe(404);

      const history = await eventually(async () => {
        const { body } = await call('GET', `/v1/leads/${leadId}`);
        return body.stageHistory.length >= 4 ? body.stageHistory : undefined;
      });
      expect(history.map((change: { to: string }) => change.to)).toEqual(['mql', 'sql', 'opportunity', 'customer']);
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString();
      const report = await call('GET', `/v1/metrics/funnel?from=${day(-1)}&to=${day(1)}&cohort=week&by=source`);
      expect(report.body.cohorts.filter((cohort: { group: string }) => cohort.group === source)).toEqual([
        expect.objectContaining({ counts: { lead: 1, mql: 1, sql: 1, opportunity: 1, customer: 1 } }),
      ]);
      // By sequence, the customer counts for the sequence it was in when it converted, not for none.
      const timeline = (await call('GET', `/v1/leads/${leadId}/timeline`)).body.items;
      const nurturedIn = timeline.find((entry: { kind: string }) => entry.kind === 'enterSequence').detail.sequenceId;
      const bySequence = await call('GET', `/v1/metrics/funnel?from=${day(-1)}&to=${day(1)}&cohort=week&by=sequence`);
      const group = bySequence.body.cohorts.find((cohort: { group: string }) => cohort.group === nurturedIn);
      expect(group.counts.customer).toBeGreaterThanOrEqual(1);
    });
  });
});

it('takes the first of two simultaneous decisions and refuses the other, naming the winner', async () => {
  await withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, async ({ taskQueue }) => {
    await withApi({ pool, client, taskQueue }, async ({ url }) => {
      const call = (method: string, route: string, body?: unknown) => callApi(`${url}${route}`, method, adminKey, body);
      const leadId = `lead-${randomUUID()}`;
      await call('POST', '/v1/leads', { id: leadId, email: `kim@${leadId}.example`, title: 'VP Operations', industry: 'software', companySize: 300, country: 'US' });
      await call('POST', '/v1/events', { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} });
      const handoffId = `handoff-${leadId}-1`;
      await eventually(async () => ((await call('GET', `/v1/handoffs/${handoffId}`)).status === 200 ? true : undefined));
      const answers = await Promise.all([
        call('POST', `/v1/handoffs/${handoffId}/accept`, { by: 'rep-a' }),
        call('POST', `/v1/handoffs/${handoffId}/reject`, { reasonCode: 'bad_timing', note: 'call in May', by: 'rep-b' }),
      ]);
      const [won, lost] = answers[0]!.status === 409 ? [answers[1]!, answers[0]!] : [answers[0]!, answers[1]!];
      expect(lost.status).toBe(409);
      expect(won.status).toBe(200);
      expect(lost.body.error).toBe(`the handoff is already ${won.body.status}${won.body.status === 'accepted' ? ' by rep-a' : ' by rep-b'}`);
      const task = (await call('GET', `/v1/handoffs/${handoffId}`)).body;
      expect(task.status).toBe(won.body.status);
      // The losing side's note is not written over the winner's task.
      expect(task.note).toBe(won.body.status === 'rejected' ? 'call in May' : null);
    });
  });
});

it('takes outcomes from a CRM webhook signed with its secret, and refuses one that is not', async () => {
  const secret = 'crm-webhook-secret-0123456789';
  await withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, async ({ taskQueue }) => {
    await withApi({ pool, client, taskQueue, public: { linkSecret: 'outcomes-link-secret-0123456789', publicUrl: 'http://127.0.0.1', crmWebhookSecret: secret } }, async ({ url }) => {
      const leadId = `lead-${randomUUID()}`;
      await callApi(`${url}/v1/leads`, 'POST', adminKey, { id: leadId, email: `kim@${leadId}.example`, country: 'US' });
      const post = (body: string, signature?: string) =>
        fetch(`${url}/webhooks/crm`, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { [SIGNATURE_HEADER]: signature } : {}) }, body });
      const body = JSON.stringify({ leadId, outcome: 'closed_won' });
      const signature = signWebhook(body, secret, Math.floor(Date.now() / 1000));
      expect((await post(body)).status).toBe(401);
      expect((await post(body.replace('closed_won', 'closed_lost'), signature)).status).toBe(401);
      expect((await post(body, signWebhook(body, 'another-secret-0123456789', Math.floor(Date.now() / 1000)))).status).toBe(401);
      const taken = await post(body, signature);
      expect(taken.status).toBe(200);
      expect(await taken.json()).toEqual({ leadId, outcome: 'closed_won', accepted: true });
      await eventually(async () => ((await callApi(`${url}/v1/leads/${leadId}`, 'GET', adminKey)).body.state?.stage === 'customer' ? true : undefined));
      const typo = JSON.stringify({ leadId, outcome: 'won' });
      expect(await (await post(typo, signWebhook(typo, secret, Math.floor(Date.now() / 1000)))).json()).toMatchObject({ details: [{ path: 'body.outcome' }] });
    });
  });
});
