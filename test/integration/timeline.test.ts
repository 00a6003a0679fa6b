// A lead's timeline, as a marketer reads it (`GET /v1/leads/:id/timeline`, `nurture lead <id>`): the
// events, the sequence it entered and why, the email that went out with why (rule, score, tier), a
// stage change, in order. The real workflows on the dev server, the API, and a real SMTP server.
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createDeliveryActivities } from '../../activities/delivery';
import type { DeliveryActivities } from '../../activities/types';
import { timelineLines } from '../../cli/timeline';
import { startSmtpServer, type SmtpSinkServer } from '../../devstack/smtpSink';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { callApi, withApi } from '../support/api';
import { channelRenderer } from '../support/channelTouches';
import { anyHourCatalog, eventually, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const catalog = { ...anyHourCatalog(), model: { ...anyHourCatalog().model, holdoutPercent: 0 } };
const adminKey = `admin-${randomUUID()}`;
let pool: Pool, nativeConnection: NativeConnection, client: Client;
let smtp: SmtpSinkServer;
let delivery: DeliveryActivities;
let closeTransport: () => void;

afterAll(async () => {
  closeTransport?.();
  await smtp?.close();
});
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });

beforeAll(async () => {
  smtp = await startSmtpServer({ onMessage: async () => undefined });
  const transport = nodemailer.createTransport({ url: smtp.url, pool: true });
  closeTransport = () => transport.close();
  const message = { sender: { name: 'Sam Lee', company: 'Relay', address: '1 Main St, Springfield' }, publicUrl: 'https://nurture.relay.example', signingSecret: 'timeline-test-secret', offers: {} };
  delivery = createDeliveryActivities({ pool, renderer: channelRenderer, email: { transport, settings: { ...message, from: 'Sam Lee <sam@relay.example>', domain: 'relay.example' } } });
});

it('lists what the lead did, what the engine decided and why, and what was sent, in order; `nurture lead` prints it', async () => {
  const productionLeadWorker = (taskQueue: string, workflowBundle: WorkflowBundleWithSourceMap) => engineWorkerOptions({ connection: nativeConnection, taskQueue, pool, catalog, workflowBundle });
  await withWorkers({ client, nativeConnection }, { catalog, leadWorker: productionLeadWorker, delivery }, ({ taskQueue }) =>
    withApi({ pool, client, taskQueue }, async ({ url }) => {
      const call = (method: string, route: string, payload?: unknown) => callApi(`${url}${route}`, method, adminKey, payload);
      const leadId = `lead-${randomUUID()}`;
      // Search traffic enters the fast track, whose first step is an email at once.
      expect((await call('POST', '/v1/leads', { id: leadId, email: `ana@${leadId}.example`, firstName: 'Ana', source: 'search', title: 'VP Operations', industry: 'software', companySize: 300, consent: { email: true } })).status).toBe(201);
      const pricing = { eventId: randomUUID(), leadId, type: 'page_view', occurredAt: new Date().toISOString(), properties: { url: 'https://relay.example/pricing', category: 'pricing' } };
      expect((await call('POST', '/v1/events', pricing)).status).toBe(202);

      const timeline = await eventually(async () => {
        const { body } = await call('GET', `/v1/leads/${leadId}/timeline`);
        const sent = body.items.some((entry: { kind: string; detail: { status?: string } }) => entry.kind === 'touch' && entry.detail.status === 'sent');
        return sent && body.items.some((entry: { kind: string }) => entry.kind === 'event') ? body : undefined;
      }, 30_000);
      const kinds: string[] = timeline.items.map((entry: { kind: string }) => entry.kind);
      expect(kinds).toEqual(expect.arrayContaining(['enterSequence', 'touch', 'event', 'consent']));
      expect(kinds.indexOf('enterSequence')).toBeLessThan(kinds.indexOf('touch'));
      const times = timeline.items.map((entry: { at: string }) => Date.parse(entry.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(timeline.items.find((entry: { kind: string }) => entry.kind === 'enterSequence').detail).toMatchObject({ sequenceId: 'fast-track' });
      const touch = timeline.items.find((entry: { kind: string }) => entry.kind === 'touch');
      // Why it went out, as the engine decided it: the rule, the score and its parts, the tier.
      expect(touch.detail).toMatchObject({ channel: 'email', status: 'sent', sequenceId: 'fast-track', why: expect.objectContaining({ tier: expect.any(String) }) });
      expect(timeline.items.find((entry: { kind: string }) => entry.kind === 'event').detail).toMatchObject({ type: 'page_view', eventId: pricing.eventId });

      // Pages of it, and an unknown lead.
      const first = await call('GET', `/v1/leads/${leadId}/timeline?limit=1`);
      expect(first.body).toMatchObject({ items: [timeline.items[0]], nextOffset: 1 });
      expect((await call('GET', `/v1/leads/lead-${randomUUID()}/timeline`)).status).toBe(404);

      const lines = await timelineLines(leadId, { api: url, key: adminKey }, {});
      // The engine may have decided more since (the pricing visit's effects): the lines hold at least what was read.
      expect(lines.length).toBeGreaterThanOrEqual(timeline.items.length);
      expect(lines.find((line) => line.includes('touch'))).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}touch {11}email sent: fast-track\//);
    }),
  );
}, 90_000);
