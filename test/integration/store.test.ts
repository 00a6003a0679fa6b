import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { register } from 'prom-client';
import type { ApplicationFailure } from '@temporalio/common';
import { createHandoffActivities } from '../../activities/handoff';
import { assignmentsOf } from '../../db/repositories/reps';
import { createLeadActivities } from '../../activities/lead';
import type { Lead } from '../../core/model/lead';
import { eventSignal, rejectSignal } from '../../workflows/contract';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { useIntegrationServers } from '../support/integrationServers';
import { anyHourCatalog, eventually, leadState, withWorkers } from '../support/harness';

const catalog = anyHourCatalog();
let pool: Pool, nativeConnection: NativeConnection, client: Client;
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers));

/** The lead queue runs production's worker options: real workflows, real PostgreSQL activities. */
const productionLeadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) =>
  engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle });

describe('the workflows writing to PostgreSQL', () => {
  it('records the stage history, the audit trail and the handoff task with its context, and closes it on rejection', async () => {
    const territoryRep = `rep-de-${randomUUID()}`;
    await pool.query("INSERT INTO reps (id, name, territories) VALUES ($1, 'Dana (DACH)', '{DE,AT,CH}')", [territoryRep]);
    // A company of its own: another file's handoff for the same domain would keep the account with its rep.
    const lead: Lead = { id: `lead-${randomUUID()}`, email: `ana@northwind-${randomUUID().slice(0, 8)}.example`, title: 'VP Operations', industry: 'software', companySize: 300, country: 'DE' };
    await withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker }, async ({ startLead }) => {
      const handle = await startLead({ lead });
      await leadState(handle);
      await handle.signal(eventSignal, { eventId: randomUUID(), leadId: lead.id, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} });
      const handoffId = `handoff-${lead.id}-1`;
      const task = await eventually(async () => (await pool.query('SELECT * FROM handoffs WHERE id = $1', [handoffId])).rows[0]);
      expect(task).toMatchObject({ lead_id: lead.id, status: 'open', owner: territoryRep });
      expect(task.context).toMatchObject({ reason: 'demo request', scores: expect.objectContaining({ fit: 55 }), profile: expect.objectContaining({ title: 'VP Operations' }) });

      await client.workflow.getHandle(handoffId).signal(rejectSignal, { reasonCode: 'bad_timing' });
      const closed = await eventually(async () => (await pool.query("SELECT * FROM handoffs WHERE id = $1 AND status <> 'open'", [handoffId])).rows[0]);
      expect(closed).toMatchObject({ status: 'rejected', reason_code: 'bad_timing' });
      const stages = await eventually(async () => {
        const { rows } = await pool.query('SELECT from_stage, to_stage FROM stage_changes WHERE lead_id = $1 ORDER BY changed_at, id', [lead.id]);
        return rows.length >= 2 ? rows : undefined;
      });
      expect(stages).toEqual([
        { from_stage: 'lead', to_stage: 'mql' },
        { from_stage: 'mql', to_stage: 'recycled' },
      ]);
      const activity = await pool.query('SELECT kind FROM lead_activity WHERE lead_id = $1', [lead.id]);
      expect(activity.rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['enterSequence', 'exitSequence', 'handoffNotified']));
      // A fitting lead (fit 55) that asked for a demo: the top cell of the lead matrix.
      const { rows } = await pool.query('SELECT stage, sequence_id, segment FROM leads WHERE id = $1', [lead.id]);
      expect(rows[0]).toEqual({ stage: 'recycled', sequence_id: null, segment: 'A1' });
      // Engineers find leads by stage with `temporal workflow list --query`.
      const listed = await eventually(async () => {
        for await (const run of client.workflow.list({ query: `NurtureStage = 'recycled' AND WorkflowId = '${handle.workflowId}'` })) return run;
        return undefined;
      });
      expect(listed.searchAttributes).toMatchObject({ NurtureStage: ['recycled'], NurtureTier: ['active'] });
    });
  });

  it('writes each decision once when an activity is retried', async () => {
    const { recordDecisions } = createLeadActivities({ pool, catalog: () => catalog });
    const leadId = `lead-${randomUUID()}`;
    const at = Date.now();
    const request = {
      leadId,
      snapshot: { stage: 'mql', tier: 'active', totalScore: 45, holdout: false },
      decisions: [
        { type: 'changeStage' as const, leadId, from: 'lead' as const, to: 'mql' as const, reason: 'fit and intent', at },
        { type: 'consentChanged' as const, channel: 'email' as const, granted: false, reason: 'unsubscribe', at },
        { type: 'touchSkipped' as const, sequenceId: 'education', stepId: 'thanks', channel: 'email' as const, reason: 'no_consent:unsubscribe', at },
      ],
    };
    await recordDecisions(request);
    await recordDecisions(request);
    const count = async (table: string) => Number((await pool.query(`SELECT count(*) FROM ${table} WHERE lead_id = $1`, [leadId])).rows[0].count);
    expect(await count('stage_changes')).toBe(1);
    expect(await count('consent_records')).toBe(1);
    expect(await count('lead_activity')).toBe(2);
  });

  it('serves a pinned sequence version from the database after the library moved on', async () => {
    const { loadCatalog } = createLeadActivities({ pool, catalog: () => catalog });
    const old = { ...catalog.versions[catalog.latest.education!]!, name: 'Education (last quarter)' };
    await pool.query("INSERT INTO sequence_versions (version, sequence_id, definition) VALUES ('education@old', 'education', $1) ON CONFLICT DO NOTHING", [old]);
    const loaded = await loadCatalog({ versions: ['education@old'] });
    expect(loaded.versions['education@old']).toMatchObject({ id: 'education', name: 'Education (last quarter)' });
    expect(loaded.latest.education).toBe(catalog.latest.education);
  });

  it('assigns reps by territory first, then round robin over the active ones', async () => {
    const { assignRep } = createHandoffActivities({ pool });
    await pool.query('UPDATE reps SET active = false');
    const [a, b] = [`rep-a-${randomUUID()}`, `rep-b-${randomUUID()}`];
    await pool.query("INSERT INTO reps (id, name) VALUES ($1, 'A'), ($2, 'B')", [a, b]);
    const owners = [];
    for (let i = 0; i < 4; i++) owners.push((await assignRep({ handoffId: `h${i}`, lead: { country: 'BR' }, exclude: [] })).owner);
    expect(new Set(owners.slice(0, 2))).toEqual(new Set([a, b]));
    expect(owners.slice(2)).toEqual(owners.slice(0, 2));
    expect(await assignRep({ handoffId: 'h5', lead: {}, exclude: [a, b] })).toEqual({});
  });

  it('answers a retried assignment with the same owner and the same SLA, whenever the retry runs', async () => {
    let clock = Date.parse('2026-03-11T15:00:00Z');
    const { assignRep } = createHandoffActivities({ pool, now: () => clock });
    const handoffId = `handoff-retry-${randomUUID()}`;
    await pool.query("INSERT INTO reps (id, name, territories) VALUES ($1, 'Bea (Bolivia)', '{BO}')", [`rep-bo-${randomUUID()}`]);
    const first = await assignRep({ handoffId, lead: { country: 'BO' }, exclude: [], sla: '1h' });
    expect(first.slaDueAt).toBe(clock + 3_600_000);
    clock += 10 * 60_000;
    expect(await assignRep({ handoffId, lead: { country: 'BO' }, exclude: [], sla: '1h' })).toEqual(first);
  });

  it('records a reassignment by hand as a round of its own, rule manual, and refuses a rep who is not one or not active, recording nothing', async () => {
    const { assignRep } = createHandoffActivities({ pool });
    const handoffId = `handoff-desk-${randomUUID()}`;
    const [named, gone] = [`rep-aq-${randomUUID()}`, `rep-gone-${randomUUID()}`];
    await pool.query("INSERT INTO reps (id, name, territories, active) VALUES ($1, 'Mo (Antarctica)', '{AQ}', true), ($2, 'Gone (Antarctica)', '{AQ}', false)", [named, gone]);
    const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: ApplicationFailure) => ({ type: err.type, message: err.message }));
    const reassign = (to: string) => assignRep({ handoffId, lead: { country: 'AQ' }, exclude: ['rep-before'], sla: '1h', round: 1, reassign: { to, by: 'morgan' } });
    try {
      expect(await refusal(reassign('nobody-here'))).toEqual({ type: 'UnknownRep', message: 'to: there is no rep nobody-here' });
      expect(await refusal(reassign(gone))).toEqual({ type: 'UnknownRep', message: `to: ${gone} is not active` });
      expect(await assignmentsOf(pool, handoffId)).toEqual([]);
      const assigned = await reassign(named);
      expect(assigned.owner).toBe(named);
      expect(await assignmentsOf(pool, handoffId)).toEqual([expect.objectContaining({ round: 1, owner: named, rule: 'manual', by: 'morgan', candidates: [named], skipped: [] })]);
      // A retry answers the same, from the round recorded.
      expect(await reassign(named)).toEqual(assigned);
    } finally {
      await pool.query('UPDATE reps SET active = false WHERE id = $1', [named]);
    }
  });

  it('writes and counts a handoff opened, escalated and closed once each, however often an activity is retried', async () => {
    const tasks = createHandoffActivities({ pool });
    const leadId = `lead-${randomUUID()}`;
    const handoffId = `handoff-${leadId}-1`;
    const at = Date.now();
    // The lead's latest event happened 4 s before the engine decided on the handoff.
    const path = [{ key: 'demo_request', at: at - 4_000 }];
    const handoff = { id: handoffId, number: 1, leadId, reason: 'demo request', at, scores: { fit: 30, intent: 30, total: 60, parts: [] }, profile: {}, recentPages: [], downloads: [], path };
    // This file's workflows count too: the test compares before and after.
    const sum = async (name: string, labels: Record<string, string | number>) =>
      ((await register.getSingleMetric(name)?.get())?.values ?? [])
        .filter((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))
        .reduce((total, value) => total + value.value, 0);
    const counts = async () => ({
      opened: await sum('nurture_handoffs_total', { event: 'opened' }),
      escalated: await sum('nurture_handoffs_total', { event: 'escalated' }),
      noResponse: await sum('nurture_handoffs_total', { event: 'no_response' }),
      speedToLeadWithin2s: await sum('nurture_speed_to_lead_seconds', { le: 2 }),
      speedToLeadWithin5s: await sum('nurture_speed_to_lead_seconds', { le: 5 }),
    });
    const before = await counts();

    for (let attempt = 0; attempt < 2; attempt++) await tasks.openHandoffTask({ handoff, owner: 'rep-a', slaDueAt: at + 3_600_000 });
    for (let attempt = 0; attempt < 2; attempt++) await tasks.reassignHandoffTask({ handoffId, owner: 'rep-b', escalations: 1, slaDueAt: at + 7_200_000 });
    for (let attempt = 0; attempt < 2; attempt++) await tasks.closeHandoffTask({ handoffId, status: 'no_response' });

    expect((await pool.query('SELECT status, owner, escalations FROM handoffs WHERE id = $1', [handoffId])).rows).toEqual([{ status: 'no_response', owner: 'rep-b', escalations: 1 }]);
    expect(await counts()).toEqual({
      opened: before.opened + 1,
      escalated: before.escalated + 1,
      noResponse: before.noResponse + 1,
      speedToLeadWithin2s: before.speedToLeadWithin2s,
      speedToLeadWithin5s: before.speedToLeadWithin5s + 1,
    });
  });
});
