// `nurture demo` as a newcomer runs it: against `nurture start` (its own embedded servers, on free
// ports, fresh data folder), through the command line. The leads of three sources are there, a demo
// request opened a handoff, first emails landed in the outbox, a pricing visit pulled a next touch
// forward; a second run adds nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_SOURCES, generateDemo } from '../../cli/demoData';
import { outboxLines } from '../../devstack/outbox';
import { getFreePort } from '../../app/net';
import { interrupt, runNurture as nurture, startEngine, type Engine } from '../support/engineProcess';

const LEADS = 40;

let engine: Engine;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-demo-'));
  // A deployment that emails at any hour, so first emails go out whatever the day.
  engine = await startEngine(dataDir, await getFreePort(), { NURTURE_EMAIL_WINDOW: '00:00-24:00,mon-sun' });
}, 120_000);

afterAll(async () => {
  if (engine?.child.exitCode === null) await interrupt(engine);
});

async function get(route: string): Promise<any> {
  const response = await fetch(`${engine.api}${route}`, { headers: { authorization: `Bearer ${engine.key}` } });
  expect(response.status).toBe(200);
  return response.json();
}

const demoLeadsBySource = async () =>
  Object.fromEntries(
    await Promise.all(
      DEMO_SOURCES.map(async (source) => [source, (await get(`/v1/leads?source=${source}&limit=200`)).items.filter((lead: { id: string }) => lead.id.startsWith('demo-1-')).length]),
    ),
  ) as Record<string, number>;

it('loads leads from three sources, opens a handoff for a demo request, sends first emails, and adds nothing when run again', async () => {
  const demo = generateDemo(1, LEADS);
  const requester = demo.find((entry) => entry.behaviour === 'demo')!;
  const args = ['demo', '--leads', String(LEADS), '--api', engine.api, '--key', engine.key];

  const first = await nurture(args);
  expect(first).toMatchObject({ code: 0 });
  expect(first.output).toContain(`${LEADS} leads arrived (${LEADS} new)`);
  expect(first.output).toMatch(/next touch of .+ pulled forward: .+ → .+ \(in 2 h\), tier active/);
  expect(first.output).toContain(`handoff-${requester.lead.id}-1`);
  // The demo's sales team takes the handoffs: by territory or as anyone's rep, working now or from when they start.
  expect(first.output).toMatch(/4 sales reps \(4 new\): Amara Obi \(US, CA\)/);
  expect(first.output).toMatch(/handoff-demo-1-\d+-1 → (amara|jonas|maeve|kai) \((account owner|territory|anyone); (working now|starts .+)\)/);

  const bySource = await demoLeadsBySource();
  expect(Object.values(bySource).every((n) => n > 0)).toBe(true);
  expect(Object.values(bySource).reduce((a, b) => a + b, 0)).toBe(LEADS);

  const handoffs = (await get('/v1/handoffs?limit=200')).items;
  expect(handoffs).toContainEqual(expect.objectContaining({ leadId: requester.lead.id, status: 'open' }));
  const handoff = await get(`/v1/handoffs/${handoffs.find((h: { leadId: string }) => h.leadId === requester.lead.id).id}`);
  expect(handoff.context).toMatchObject({ reason: 'demo request', profile: { company: requester.lead.company } });

  // Sent by the engine, caught by its local SMTP sink, listed as `nurture outbox` prints it.
  expect(first.output).toMatch(/\n\s+[1-9]\d* emails sent: /);
  const delivered = (await outboxLines(dataDir, { limit: 100 })).filter((line) => demo.some((entry) => line.includes(`<${entry.lead.email}>`)));
  expect(delivered.length).toBeGreaterThan(0);
  // Webinar attendees who opted in are texted that day, where it is 09:00-20:00 for them now.
  const texted = /\n\s+(\d+) texts? sent to the (\d+) leads? who opted in to SMS/.exec(first.output);
  expect(Number(texted?.[2])).toBeGreaterThan(0);
  const textLines = (await outboxLines(dataDir, { limit: 100 })).filter((line) => /\s sms \s+\+1202555/.test(line));
  expect(textLines).toHaveLength(Number(texted![1]));

  const again = await nurture(args);
  expect(again).toMatchObject({ code: 0 });
  expect(again.output).toContain(`${LEADS} leads arrived (0 new, ${LEADS} already there)`);
  expect(again.output).toMatch(/0 arrival events: .+ \(\d+ already sent in an earlier run, ignored\)/);
  expect(await demoLeadsBySource()).toEqual(bySource);
  expect((await get('/v1/handoffs?limit=200')).items).toHaveLength(handoffs.length);
}, 300_000);

it('names the option that is out of range, before it reaches the engine', async () => {
  const result = await nurture(['demo', '--leads', '5', '--seed', 'x', '--api', 'http://127.0.0.1:9', '--key', 'unused']);
  expect(result.code).toBe(1);
  expect(result.output).toContain('--leads: must be at least 10');
  expect(result.output).toContain('--seed: must be a number');
});
