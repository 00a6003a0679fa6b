// Reps as data and handoffs routed by them, over real HTTP against the dev server and PostgreSQL: the
// reps API and `nurture reps` name every bad field, and a demo request is assigned by the rules,
// the round robin, working hours and the account's owner, with why recorded on the task.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { addRep, importReps, listRepLines } from '../../cli/reps';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { callApi, withApi } from '../support/api';
import { anyHourCatalog, eventually, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;
let pool: Pool, nativeConnection: NativeConnection, client: Client;
// The reps table is shared by the files of this run: the reps made here leave routing when it ends
// (declared before the servers' hooks, which close the pool: hooks after all tests run in order).
afterAll(async () => {
  await pool.query("UPDATE reps SET active = false WHERE name IN ('Dana Lee', 'Sam Okafor', 'Ana', 'Ben', 'Working now', 'Next in the round robin', 'Starts later')");
});
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });


const productionLeadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) =>
  engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle });

const tag = () => randomUUID().slice(0, 8);

/** Working hours in UTC that start two hours from now and last one: the rep is not working now. */
function hoursNotNow(): string {
  const now = new Date();
  const start = ((now.getUTCHours() + 2) % 24) * 60;
  const end = Math.min(start + 60, 1440);
  const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
  return `${hhmm(start)}-${hhmm(end)},mon-sun`;
}

describe('the reps API', () => {
  it('creates, lists, changes and deactivates reps, naming every bad field and writing nothing for it', async () => {
    await withApi({ pool, client }, async ({ url }) => {
      const call = (method: string, route: string, body?: unknown) => callApi(`${url}${route}`, method, adminKey, body);
      const id = `dana-${tag()}`;
      const dana = { id, name: 'Dana Lee', email: 'dana@relay.example', territories: ['us', 'CA'], industries: ['Software'], workingHours: { zone: 'America/New_York', hours: '09:00-17:00,mon-fri' } };
      const created = await call('POST', '/v1/reps', dana);
      expect(created).toMatchObject({ status: 201, body: { id, territories: ['US', 'CA'], industries: ['software'], weight: 1, active: true, workingHours: { zone: 'America/New_York', hours: '09:00-17:00,mon-fri' } } });
      expect((await call('POST', '/v1/reps', dana)).status).toBe(409);

      const bad = await call('POST', '/v1/reps', { id: `bad-${tag()}`, name: 'Bad', territories: ['USA'], workingHours: { zone: 'Mars/Base', hours: '9 to 5' }, weight: 0 });
      expect(bad.status).toBe(400);
      expect(bad.body.details.map((detail: { path: string }) => detail.path).sort()).toEqual(['body.territories.0', 'body.weight', 'body.workingHours.hours', 'body.workingHours.zone']);
      expect((await call('POST', '/v1/reps', { id: `lost-${tag()}`, name: 'Lost', team: 'no-such-team' })).body.details).toEqual([expect.objectContaining({ path: 'body.team' })]);

      const changed = await call('PATCH', `/v1/reps/${id}`, { weight: 3, capacity: 5 });
      expect(changed).toMatchObject({ status: 200, body: { id, weight: 3, capacity: 5, territories: ['US', 'CA'] } });
      expect((await call('PATCH', `/v1/reps/${id}`, { capacity: -1 })).body.details).toEqual([expect.objectContaining({ path: 'body.capacity' })]);
      expect((await call('GET', `/v1/reps/${id}`)).body.capacity).toBe(5);
      expect((await call('POST', `/v1/reps/${id}/deactivate`)).body.active).toBe(false);
      expect((await call('GET', '/v1/reps')).body.items).toContainEqual(expect.objectContaining({ id, active: false }));
      expect((await call('PATCH', '/v1/reps/nobody', { weight: 2 })).status).toBe(404);
    });
  });

  it('adds, imports and lists reps from the command line, naming the row and field of a bad one', async () => {
    await withApi({ pool, client }, async ({ url }) => {
      const target = { api: url, key: adminKey };
      const id = `sam-${tag()}`;
      expect(await addRep({ id, name: 'Sam Okafor', territories: 'GB,IE', zone: 'Europe/London' }, target)).toBe(`added ${id} (Sam Okafor)`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-reps-'));
      const csv = path.join(dir, 'reps.csv');
      const [a, b] = [`ana-${tag()}`, `ben-${tag()}`];
      fs.writeFileSync(csv, `id,name,territories,industries,size,weight\n${a},Ana,"NZ,AU",software,100-1000,2\n${b},Ben,FR,,,1\n${id},Sam Okafor,"GB,IE",,,3\n`);
      expect(await importReps(csv, target)).toEqual({ created: 2, updated: 1 });
      const lines = await listRepLines(target);
      expect(lines.find((line) => line.startsWith(a))).toMatch(/territories NZ,AU\s+industries software\s+weight 2/);
      expect(lines.find((line) => line.startsWith(id))).toMatch(/weight 3/);

      const bad = path.join(dir, 'bad.csv');
      fs.writeFileSync(bad, `id,name,territories,size\nfine-${tag()},Fine,US,\nnope-${tag()},Nope,USA,10-\n`);
      await expect(importReps(bad, target)).rejects.toThrow(`${bad}:3: territories.0: must be a country (US) or a region (US-CA)`);
      fs.writeFileSync(bad, 'id,name,region\nx,X,US\n');
      await expect(importReps(bad, target)).rejects.toThrow(/unknown columns region/);
    });
  });
});

describe('routing handoffs', () => {
  it('assigns a demo request to the territory rep working now, keeps the account with its owner, and records why', async () => {
    await withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, async ({ taskQueue }) => {
      await withApi({ pool, client, taskQueue }, async ({ url }) => {
        const call = (method: string, route: string, body?: unknown) => callApi(`${url}${route}`, method, adminKey, body);
        const [working, busy, resting] = [`us-day-${tag()}`, `us-busy-${tag()}`, `us-later-${tag()}`];
        const usSoftware = { territories: ['US'], industries: ['software'] };
        await call('POST', '/v1/reps', { id: working, name: 'Working now', ...usSoftware, workingHours: { zone: 'UTC', hours: '00:00-24:00,mon-sun' } });
        await call('POST', '/v1/reps', { id: resting, name: 'Starts later', ...usSoftware, weight: 100, workingHours: { zone: 'UTC', hours: hoursNotNow() } });

        const handoffOf = async (domain: string) => {
          const leadId = `lead-${randomUUID()}`;
          const lead = { id: leadId, email: `${leadId}@${domain}`, title: 'VP Operations', industry: 'software', companySize: 300, country: 'US' };
          expect((await call('POST', '/v1/leads', lead)).status).toBe(201);
          await call('POST', '/v1/events', { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} });
          return eventually(async () => {
            const task = await call('GET', `/v1/handoffs/handoff-${leadId}-1`);
            return task.status === 200 && task.body.assignments.length ? task.body : undefined;
          });
        };
        const acme = `acme-${tag()}.example`;

        // The rep of the rule who is working now, though the other has the far larger share.
        const first = await handoffOf(acme);
        expect(first.owner).toBe(working);
        expect(first.assignments[0]).toMatchObject({ round: 0, owner: working, rule: 'territory_and_segment', candidates: expect.arrayContaining([working, resting]) });
        expect(first.assignments[0].startsAt).toBeUndefined();

        // A second lead of the same company stays with the account's owner, whom the round robin would pass over.
        await call('POST', '/v1/reps', { id: busy, name: 'Next in the round robin', ...usSoftware, weight: 100 });
        const second = await handoffOf(acme);
        expect(second.owner).toBe(working);
        expect(second.assignments[0]).toMatchObject({ rule: 'account_owner' });

        // With nobody of the rule working now, the one who starts soonest takes it, and the task says when.
        await call('POST', `/v1/reps/${working}/deactivate`);
        await call('POST', `/v1/reps/${busy}/deactivate`);
        const third = await handoffOf(`globex-${tag()}.example`);
        expect(third.owner).toBe(resting);
        expect(Date.parse(third.assignments[0].startsAt)).toBeGreaterThan(Date.now());
        // Its SLA (an hour of working time) starts when the rep does.
        expect(Date.parse(third.slaDueAt)).toBe(Date.parse(third.assignments[0].startsAt) + 3_600_000);
        expect(third.assignments[0].skipped).toEqual(expect.arrayContaining([{ rep: working, why: 'inactive' }, { rep: busy, why: 'inactive' }]));
      });
    });
  });
});
