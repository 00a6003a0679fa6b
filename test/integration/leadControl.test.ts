// Marketers and operators steer leads' runs without code: pause, resume, enrol and exit one lead over
// the API (each answered once the run has taken it), and every lead a filter matches from the
// command line, counted first and changed only with --yes. The real workflows on the dev server.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Pool } from 'pg';
import { controlLeads } from '../../cli/leadControl';
import { callApi, withApi } from '../support/api';
import { anyHourCatalog, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;
let pool: Pool, nativeConnection: NativeConnection, client: Client;
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });

it('pauses, resumes, enrols and exits a lead, answered once its run has taken each', async () => {
  await withWorkers({ client, nativeConnection }, { catalog }, ({ taskQueue }) =>
    withApi({ pool, client, taskQueue }, async ({ url }) => {
      const call = (method: string, route: string, payload?: unknown) => callApi(`${url}${route}`, method, adminKey, payload);
      const leadId = `lead-${randomUUID()}`;
      expect((await call('POST', '/v1/leads', { id: leadId, email: `ana@${leadId}.example`, source: 'search' })).status).toBe(201);
      const state = async () => (await call('GET', `/v1/leads/${leadId}`)).body.state;

      expect(await call('POST', `/v1/leads/${leadId}/pause`)).toMatchObject({ status: 200, body: { accepted: true } });
      expect(await state()).toMatchObject({ paused: true });
      expect(await call('POST', `/v1/leads/${leadId}/resume`)).toMatchObject({ status: 200, body: { accepted: true } });
      expect(await state()).toMatchObject({ paused: false });

      expect((await call('POST', `/v1/leads/${leadId}/enrol`, { sequenceId: 'education' })).status).toBe(200);
      expect((await state()).sequence).toMatchObject({ id: 'education' });
      expect(await call('POST', `/v1/leads/${leadId}/enrol`, { sequenceId: 'no-such-sequence' })).toMatchObject({
        status: 409,
        body: { details: [{ path: 'body.sequenceId', message: 'unknown sequence "no-such-sequence"' }] },
      });
      expect(await call('POST', `/v1/leads/${leadId}/exit`, { reason: 'event cancelled' })).toMatchObject({ status: 200, body: { accepted: true } });
      expect((await state()).sequence).toBeUndefined();

      expect((await call('POST', `/v1/leads/${leadId}/exit`, {})).body).toMatchObject({ details: [expect.objectContaining({ path: 'body.reason' })] });
      expect((await call('POST', `/v1/leads/lead-${randomUUID()}/pause`)).status).toBe(404);
    }),
  );
});

it('counts the leads a filter matches, changes nothing without --yes, and pauses them all with it', async () => {
  await withWorkers({ client, nativeConnection }, { catalog }, ({ taskQueue }) =>
    withApi({ pool, client, taskQueue }, async ({ url }) => {
      const call = (method: string, route: string, payload?: unknown) => callApi(`${url}${route}`, method, adminKey, payload);
      const source = `webinar-${randomUUID().slice(0, 8)}`;
      const ids = [1, 2, 3].map((n) => `lead-${n}-${randomUUID()}`);
      for (const id of ids) expect((await call('POST', '/v1/leads', { id, email: `ana@${id}.example`, source })).status).toBe(201);
      const pausedCount = async () => (await Promise.all(ids.map(async (id) => (await call('GET', `/v1/leads/${id}`)).body.state?.paused))).filter(Boolean).length;
      const target = { api: url, key: adminKey };

      expect(await controlLeads('pause', undefined, { ...target, source }, {})).toBe(`3 leads match (source ${source}); nothing changed: run again with --yes to pause them`);
      // The same filter as a query; a stage no lead is at matches none.
      expect(await controlLeads('pause', undefined, { ...target, query: `source = "${source}"` }, {})).toBe(`3 leads match (source ${source}); nothing changed: run again with --yes to pause them`);
      expect(await controlLeads('pause', undefined, { ...target, query: `source = "${source}" AND stage = "customer"` }, {})).toMatch(/^0 leads match/);
      expect(await pausedCount()).toBe(0);
      expect(await controlLeads('pause', undefined, { ...target, source, yes: true }, {})).toBe(`paused 3 of 3 leads (source ${source})`);
      expect(await pausedCount()).toBe(3);
      await expect(controlLeads('exit', undefined, { ...target, source, yes: true }, {})).rejects.toThrow('--reason');
      await expect(controlLeads('pause', undefined, target, {})).rejects.toThrow('give a lead id, or a filter');
    }),
  );
});
