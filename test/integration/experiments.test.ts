// A/B test results over real HTTP and PostgreSQL: exposures (each lead's first send of the
// experiment) written by the send ledger as delivery writes them, conversions within the window
// after exposure, the control as the sequence defines it, and the statistics worked by hand.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LiveCatalog } from '../../app/liveCatalog';
import { readPromotions, recordPromotion } from '../../app/promotions';
import { listExperiments, promoteVariant } from '../../cli/experiments';
import { createApiKey } from '../../db/repositories/apiKeys';
import { PROMOTIONS_FILE } from '../../sequences/library';
import type { SequenceDefinition } from '../../core/model/sequence';
import type { Touch } from '../../core/protocol';
import { recordStageChange } from '../../db/repositories/audit';
import { liveCatalog } from '../../db/repositories/catalogVersions';
import { recordDecisions } from '../../db/repositories/decisions';
import { storeEvents } from '../../db/repositories/events';
import { saveLead } from '../../db/repositories/leads';
import { claimSend, markSend } from '../../db/repositories/sends';
import { publishVersions } from '../../db/repositories/sequenceVersions';
import { callApi, withApi } from '../support/api';
import { anyHourCatalog } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const adminKey = `admin-${randomUUID()}`;
let pool: Pool, client: Client;
useIntegrationServers(anyHourCatalog(), (servers) => ({ pool, client } = servers), { adminKey });

const DAY = 86_400_000;
const sequenceId = `ab-${randomUUID().slice(0, 8)}`;
const version = `${sequenceId}@v1`;
// The control first, as the sequence lists it (alphabetically it would come second).
const definition = {
  id: sequenceId,
  name: 'A/B',
  audience: { event: 'form_submit' },
  exitWhen: [],
  steps: [{ kind: 'email', id: 'hello', template: 'education/thanks', variants: [{ id: 'control', weight: 50 }, { id: 'bold', weight: 50, template: 'education/mistakes' }] }],
} as SequenceDefinition;

/** A lead exposed to `variant` (sent), who clicked or became an MQL `mqlAfterDays` later, as told. */
async function exposed(variant: string, n: number, outcome: { clicked?: boolean; mqlAfterDays?: number }) {
  const leadId = `${sequenceId}-${variant}-${n}`;
  const touch = {
    idempotencyKey: `lead-${leadId}/${version}/hello/1`,
    leadId,
    channel: 'email',
    template: 'education/thanks',
    sequenceId,
    sequenceVersion: version,
    stepId: 'hello',
    touchNumber: 1,
    at: Date.now(),
    experiment: { id: `${sequenceId}/hello`, variant },
    why: { rule: 'test', tier: 'active', multiplier: 1, scores: { fit: 0, intent: 0, total: 0, parts: [] }, caps: [] },
  } as Touch;
  await claimSend(pool, `lead-${leadId}`, touch);
  await markSend(pool, touch.idempotencyKey, 'sent');
  if (outcome.clicked) await storeEvents(pool, [{ eventId: `${leadId}-click`, leadId, type: 'email_click', occurredAt: new Date().toISOString(), properties: { sendId: touch.idempotencyKey } }]);
  if (outcome.mqlAfterDays !== undefined) await recordStageChange(pool, leadId, { type: 'changeStage', leadId, from: 'lead', to: 'mql', reason: 'test', at: Date.now() + outcome.mqlAfterDays * DAY });
}

it('reports each variant against the control: exposures, rates with their samples, lift with its interval, p-value', async () => {
  await publishVersions(pool, { [version]: definition });
  // Control: 100 exposed, 20 clicked, 10 MQLs within 30 days. Bold: 100 exposed, 30 clicked, 25 MQLs
  // within 30 days and 3 more after 40 days, which the window leaves out.
  for (let n = 0; n < 100; n++) await exposed('control', n, { clicked: n < 20, ...(n < 10 ? { mqlAfterDays: 1 } : {}) });
  for (let n = 0; n < 100; n++) await exposed('bold', n, { clicked: n < 30, ...(n < 25 ? { mqlAfterDays: 2 } : n < 28 ? { mqlAfterDays: 40 } : {}) });

  await withApi({ pool, client }, async ({ url }) => {
    const experiment = `${sequenceId}/hello`;
    const { status, body } = await callApi(`${url}/v1/experiments?experiment=${encodeURIComponent(experiment)}`, 'GET', adminKey);
    expect(status).toBe(200);
    expect(body.items).toHaveLength(1);
    const [result] = body.items;
    expect(result).toMatchObject({ id: experiment, sequenceId, stepId: 'hello', metric: 'mql', windowDays: 30, control: 'control' });
    expect(result.variants.map((variant: { id: string }) => variant.id)).toEqual(['control', 'bold']);
    expect(result.variants[0]).toMatchObject({ exposures: 100, rate: 0.1, counts: { clicked: 20, mql: 10 }, versusControl: null });
    // Pooled rate 35/200: z = 0.15 / sqrt(0.175 × 0.825 × 2/100) = 2.791, p = 0.00525; lift 0.25/0.10 - 1
    // = 1.5, Katz's interval exp(ln 2.5 ± 1.96 × sqrt(1/25 - 1/100 + 1/10 - 1/100)) - 1 = [0.268, 3.930].
    expect(result.variants[1]).toMatchObject({
      exposures: 100,
      rate: 0.25,
      counts: { clicked: 30, mql: 25 },
      versusControl: { lift: 1.5, liftInterval: [0.268, 3.93], difference: 0.15, pValue: 0.00525, enoughData: true },
    });
    // On clicks: 30% against 20%, not shown to differ at 95%.
    const clicks = await callApi(`${url}/v1/experiments?experiment=${encodeURIComponent(experiment)}&metric=clicked`, 'GET', adminKey);
    expect(clicks.body.items[0].variants[1]).toMatchObject({ rate: 0.3, versusControl: { lift: 0.5 } });
    expect(clicks.body.items[0].variants[1].versusControl.pValue).toBeGreaterThan(0.05);
    // The lead's timeline names its variant.
    await saveLead(pool, { id: `${sequenceId}-bold-0` });
    const timeline = await callApi(`${url}/v1/leads/${sequenceId}-bold-0/timeline`, 'GET', adminKey);
    expect(timeline.body.items).toContainEqual(expect.objectContaining({ kind: 'touch', detail: expect.objectContaining({ experiment, variant: 'bold' }) }));
    // A bad metric is named.
    expect(await callApi(`${url}/v1/experiments?metric=revenue`, 'GET', adminKey)).toMatchObject({ status: 400, body: { details: [{ path: 'query.metric' }] } });

    const printed = await listExperiments({ api: url, key: adminKey, experiment }, {});
    expect(printed).toContain(`${experiment}: mql within 30 d`);
    expect(printed).toMatch(/control\s+100 exposed\s+10\.0% \(10\/100\)\s+control/);
    expect(printed).toMatch(/bold\s+100 exposed\s+25\.0% \(25\/100\)\s+lift \+150\.0% \[\+26\.8%, \+393\.0%\]\s+p 0\.00525\s+better than control/);

    // Promotion follows the results: bold wins on MQLs, not (yet) on clicks.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'promotions-')), 'promotions.ts');
    fs.copyFileSync(PROMOTIONS_FILE, file);
    const target = { api: url, key: adminKey, file };
    await expect(promoteVariant(experiment, 'bold', { ...target, metric: 'clicked' }, {})).rejects.toThrow(`${experiment}: bold is not shown better than control on clicked (no difference shown); --force promotes it anyway`);
    await expect(promoteVariant(experiment, 'loud', target, {})).rejects.toThrow(`${experiment} has no variant "loud" (variants: control, bold)`);
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(PROMOTIONS_FILE, 'utf8'));
    const handEdited = path.join(path.dirname(file), 'hand-edited.ts');
    fs.writeFileSync(handEdited, "export const promotions: Record<string, string> = { 'a/b': 'c' };\n");
    await expect(promoteVariant(experiment, 'bold', { ...target, file: handEdited }, {})).rejects.toThrow(`${handEdited}: cannot read its promotions`);
    expect(await promoteVariant(experiment, 'bold', target, {})).toMatch(/^promoted bold in .* \(better than control\)/);
    expect(fs.readFileSync(file, 'utf8')).toContain(`export const promotions: Record<string, string> = {\n  "${experiment}": "bold",\n};\n`);
  });
});

// On the exposures the test above recorded.
it('promotes from the experiments page by the same rule: a winner on the metric, not a variant only ahead by chance', async () => {
  const experiment = `${sequenceId}/hello`;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'promotions-')), 'promotions.ts');
  fs.copyFileSync(PROMOTIONS_FILE, file);
  const { secret } = await createApiKey(pool, 'marketer', ['marketing']);
  const web = { promotions: { read: () => readPromotions(file), record: (id: string, variant: string) => recordPromotion(id, variant, file) } };
  await withApi({ pool, client, public: { linkSecret: 'promotions-link-secret-0123456789', publicUrl: 'http://127.0.0.1', web } }, async ({ url }) => {
    const signIn = await fetch(`${url}/app/sign-in/key`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: secret }) });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const page = async (route: string, form?: Record<string, string>) => {
      const response = await fetch(`${url}${route}`, { method: form ? 'POST' : 'GET', headers: { cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }, ...(form ? { body: new URLSearchParams(form) } : {}) });
      return { status: response.status, html: await response.text() };
    };

    const onMql = await page(`/app/experiments?metric=mql`);
    expect(onMql.html).toContain(`winner: bold`);
    expect(onMql.html).toContain(`aria-label="Promote bold in ${experiment}"`);
    // On clicks bold is ahead but not shown better: no button, and a forged post is refused.
    expect((await page(`/app/experiments?metric=clicked`)).html).not.toContain(`aria-label="Promote bold in ${experiment}"`);
    const refused = await page('/app/experiments/promote', { experiment, variant: 'bold', metric: 'clicked', windowDays: '30' });
    expect(refused.status).toBe(409);
    expect(refused.html).toContain('bold is not shown better than control on clicked (no difference shown)');
    expect(readPromotions(file)).toEqual({});

    const promoted = await page('/app/experiments/promote', { experiment, variant: 'bold', metric: 'mql', windowDays: '30' });
    expect(promoted.status).toBe(200);
    expect(readPromotions(file)).toEqual({ [experiment]: 'bold' });
    expect((await page(`/app/experiments?metric=mql`)).html).toContain('promoted: bold');
  });
});

describe('an A/B test of a wait that ends by its own rule', () => {
  const waitSequence = `wait-${randomUUID().slice(0, 8)}`;
  const experiment = `${waitSequence}/gap`;
  const ruled = {
    id: waitSequence,
    name: 'A/B of a wait',
    audience: { event: 'form_submit' },
    exitWhen: [],
    steps: [
      { kind: 'email', id: 'hello', template: 'education/thanks' },
      { kind: 'wait', id: 'gap', duration: '3d', variants: [{ id: 'control', weight: 50 }, { id: 'sooner', weight: 50, duration: '1d' }], promote: { metric: 'clicked', minExposures: 60, confidence: 0.95, windowDays: 30 } },
      { kind: 'email', id: 'follow-up', template: 'education/framework' },
    ],
  } as SequenceDefinition;
  const base = anyHourCatalog();
  const catalog = { ...base, versions: { ...base.versions, [`${waitSequence}@v1`]: ruled }, latest: { ...base.latest, [waitSequence]: `${waitSequence}@v1` } };

  /** `leads` leads exposed to `variant` as the engine records it (an `exposed` decision), `clicking` of them clicking a later email within the window. */
  async function exposedToWait(variant: string, leads: number, clicking: number) {
    for (let n = 0; n < leads; n++) {
      const leadId = `${waitSequence}-${variant}-${n}`;
      const at = Date.now() - DAY;
      await recordDecisions(pool, leadId, [{ type: 'exposed', sequenceId: waitSequence, version: `${waitSequence}@v1`, stepId: 'gap', experiment: { id: experiment, variant }, at }], { stage: 'lead', tier: 'active', totalScore: 0, holdout: false });
      if (n < clicking) await storeEvents(pool, [{ eventId: `${leadId}-click`, leadId, type: 'email_click', occurredAt: new Date(at + DAY / 2).toISOString(), properties: {} }]);
    }
  }

  it('counts exposures and engagement, and two workers promote the winner once, as a new live catalog version', async () => {
    await publishVersions(pool, { [`${waitSequence}@v1`]: ruled });
    // 59 leads an arm: one short of the rule's 60, so nothing is promoted yet.
    await exposedToWait('control', 59, 6);
    await exposedToWait('sooner', 59, 24);
    const first = new LiveCatalog(pool, catalog);
    expect(await first.check()).toEqual([]);
    expect(first.current().latest[waitSequence]).toBe(`${waitSequence}@v1`);

    // 60 each: 25 of 60 clicked against 6 of 60, z = 3.91, p < 0.001.
    await exposedToWait('control', 60, 6);
    await exposedToWait('sooner', 60, 25);
    await withApi({ pool, client }, async ({ url }) => {
      const results = await callApi(`${url}/v1/experiments?experiment=${encodeURIComponent(experiment)}&metric=clicked`, 'GET', adminKey);
      expect(results.body.items[0].variants).toMatchObject([
        { id: 'control', exposures: 60, counts: { clicked: 6 } },
        { id: 'sooner', exposures: 60, counts: { clicked: 25 } },
      ]);
      expect(results.body.items[0].promotedByRule).toBeNull();

      // Two lead workers check at once: one records the winner, both run on it.
      const second = new LiveCatalog(pool, catalog);
      const [promotedFirst, promotedSecond] = await Promise.all([first.check(), second.check()]);
      expect(promotedFirst).toEqual([`${experiment}: sooner`]);
      expect(promotedSecond).toEqual(promotedFirst);
      for (const worker of [first, second]) {
        const current = worker.current();
        expect(current.latest[waitSequence]).not.toBe(`${waitSequence}@v1`);
        expect(current.versions[current.latest[waitSequence]!]!.steps[1]).toEqual({ kind: 'wait', id: 'gap', duration: '1d' });
        // The version leads pinned to the test still run.
        expect(current.versions[`${waitSequence}@v1`]).toEqual(ruled);
      }
      const live = await liveCatalog(pool);
      expect(live!.snapshot.sequences[waitSequence]!.steps[1]).toEqual({ kind: 'wait', id: 'gap', duration: '1d' });
      const after = await callApi(`${url}/v1/experiments?experiment=${encodeURIComponent(experiment)}&metric=clicked`, 'GET', adminKey);
      expect(after.body.items[0].promotedByRule).toMatchObject({ experimentId: experiment, variant: 'sooner', rule: { metric: 'clicked', minExposures: 60 }, results: [{ id: 'control', exposures: 60, converted: 6 }, { id: 'sooner', exposures: 60, converted: 25 }] });
    });
    // Checked again: nothing new.
    expect(await first.check()).toEqual([]);
  });
});
