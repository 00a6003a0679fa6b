// `nurture backtest` on real PostgreSQL: past leads and their stored events run again under the
// live catalog and a candidate module, as the command runs (node with tsx), twice to the same bytes.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { Pool } from 'pg';
import type { LeadEvent } from '../../core/model/events';
import type { Lead } from '../../core/model/lead';
import { storeEvents } from '../../db/repositories/events';
import { saveLead } from '../../db/repositories/leads';
import { defaultCatalog } from '../../sequences/library';
import { nurtureCommand, ROOT } from '../support/engineProcess';
import { useIntegrationServers } from '../support/integrationServers';

const run = promisify(execFile);
let pool: Pool;
useIntegrationServers(defaultCatalog(), (servers) => ({ pool } = servers));

const DAY = 86_400_000;
// Long before anything the other tests store, so that only these leads arrived in the window.
const arrived = Date.parse('2024-02-01T09:00:00Z');
const asOf = '2024-03-15T00:00:00Z';

async function pastLead(profile: Omit<Lead, 'id'>, events: [day: number, type: LeadEvent['type'], properties?: Record<string, unknown>][]): Promise<string> {
  const id = `past-${randomUUID().slice(0, 8)}`;
  await saveLead(pool, { id, ...profile });
  await pool.query('UPDATE leads SET created_at = $2 WHERE id = $1', [id, new Date(arrived)]);
  await storeEvents(pool, events.map(([day, type, properties = {}], n) => ({ eventId: `${id}-${n}`, leadId: id, type, occurredAt: new Date(arrived + day * DAY).toISOString(), properties }) as LeadEvent));
  return id;
}

const backtest = (...extra: string[]) => run(...nurtureCommand(['backtest', '--catalog', 'examples/candidate-catalog.ts', '--since', '60d', '--as-of', asOf, ...extra]), { cwd: ROOT, env: process.env });

it('prints what the candidate changes for the leads of the window, the same every time', async () => {
  const fitsInPart = { email: 'reader@retail.example', title: 'Analyst', industry: 'retail', companySize: 300, country: 'DE', timezone: 'Europe/Berlin' };
  const reader = await pastLead(fitsInPart, [[1, 'email_open'], [3, 'page_view', { url: 'https://example.com/blog/1', category: 'blog' }], [9, 'page_view', { url: 'https://example.com/pricing', category: 'pricing' }]]);
  await pastLead({ ...fitsInPart, email: 'quiet@retail.example' }, []);

  const { stdout, stderr } = await backtest();
  expect(stdout).toContain('backtest of 2 leads that arrived in the 60d before 2024-03-15T00:00:00.000Z');
  expect(stdout).toMatch(/^MQLs\s+0\s+1\s+\+1$/m);
  expect(stdout).toContain(`leads whose path changes: 1\n  ${reader}: live `);
  expect(stderr).toMatch(/ran in \d+\.\d s/);
  const [first, again] = [(await backtest('--json')).stdout, (await backtest('--json')).stdout];
  expect(again).toBe(first);
  // On this thread (the events read here) as on one thread per CPU (each reading its own).
  expect((await backtest('--json', '--jobs', '1')).stdout).toBe(first);
  // The pricing page view of day 9 makes the reader an MQL under the candidate's lower bar.
  expect(JSON.parse(first)).toMatchObject({ leads: 2, mqls: { live: { count: 0 }, candidate: { count: 1, medianHours: 216 } } });
});

it('says what is wrong with a candidate that is not a catalog', async () => {
  await expect(run(...nurtureCommand(['backtest', '--catalog', 'sequences/model.ts']), { cwd: ROOT, env: process.env })).rejects.toMatchObject({
    stderr: expect.stringContaining('--catalog: sequences/model.ts exports no catalog'),
  });
});
