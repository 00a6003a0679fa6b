// `nurture diff` as a marketer runs it, on real PostgreSQL: the live catalog is what a lead worker
// published at its start; a one-word change to one template is named as exactly the step that sends it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from 'pg';
import { parseConfig } from '../../app/config';
import { catalogSnapshotOf } from '../../app/liveCatalog';
import { engineCatalog } from '../../app/parts';
import { publishCatalog } from '../../db/repositories/catalogVersions';
import { snapshotVersion } from '../../sequences/catalog';
import { defaultCatalog, TEMPLATES_DIR } from '../../sequences/library';
import { nurtureCommand, ROOT } from '../support/engineProcess';
import { useIntegrationServers } from '../support/integrationServers';

const run = promisify(execFile);
let pool: Pool;
useIntegrationServers(defaultCatalog(), (servers) => ({ pool } = servers));

const diff = async (...args: string[]) => (await run(...nurtureCommand(['diff', ...args]), { cwd: ROOT, env: process.env })).stdout;

it('names the one step whose template changed, with the leads in its sequence; nothing when the code is what runs', async () => {
  // As a lead worker does when it starts on the shipped library.
  const live = catalogSnapshotOf(engineCatalog(parseConfig(process.env)));
  await publishCatalog(pool, snapshotVersion(live), live);
  expect(await diff()).toMatch(/^catalog@\w{12} \(live since .+\) → catalog@\w{12}\nno changes\n$/);

  const templates = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-'));
  fs.cpSync(TEMPLATES_DIR, templates, { recursive: true });
  const subject = path.join(templates, 'education', 'mistakes.subject.liquid');
  fs.writeFileSync(subject, fs.readFileSync(subject, 'utf8').replace(/(\w+)/, '$1 really'));

  const lines = (await diff('--templates', templates)).trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[1]).toMatch(/^education\/mistakes {2}template education\/mistakes changed: subject {2}\(\d+ leads in education\)$/);
  expect(lines[2]).toBe('1 change; live once the workers start on it: sequence edits reach new enrolments and running leads as the migration says, template edits every later send');
});
