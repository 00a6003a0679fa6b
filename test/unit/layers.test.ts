// The layer map's rules (.dependency-cruiser.cjs) on a small planted tree with the project's own
// folder names: each bad import is caught by the rule that forbids it, and good ones pass.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');
const DEPCRUISE = path.join(ROOT, 'node_modules/.bin/depcruise');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Cruises a tree of `files` (path → source) with the project's rules; the violations, as `rule: from → to`. */
async function violationsIn(files: Record<string, string>): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
  for (const [file, source] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), source);
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.writeFileSync(path.join(dir, 'package.json'), fs.readFileSync(path.join(ROOT, 'package.json')));
  fs.copyFileSync(path.join(ROOT, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  const folders = [...new Set(Object.keys(files).map((file) => file.split('/')[0]!))];
  const { stdout } = await promisify(execFile)(DEPCRUISE, ['--config', path.join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json', ...folders], { cwd: dir }).catch(
    // depcruise exits non-zero when it finds violations; its report is on stdout all the same.
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  const { summary } = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  // A package is named by its folder, whichever of its entry files the resolver picked.
  const target = (to: string) => to.replace(/^node_modules\/((@[^/]+\/)?[^/]+)\/.*$/, 'node_modules/$1');
  return summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${target(v.to)}`).sort();
}

describe('the layer rules', () => {
  it('pass imports that follow the map', async () => {
    expect(
      await violationsIn({
        'core/model/lead.ts': "import { z } from 'zod';\nexport const lead = z.object({});\n",
        'core/engine/index.ts': "import { lead } from '../model/lead';\nexport const engine = lead;\n",
        'db/pool.ts': "import { engine } from '../core/engine';\nexport const pool = engine;\n",
        'workflows/lead.ts': "import type { activities } from '../activities/types';\nimport { engine } from '../core/engine';\nexport const lead = [engine] as unknown as typeof activities;\n",
        'activities/types.ts': 'export const activities = {};\n',
        'cli/main.ts': "export async function start() {\n  return import('../devstack/start.js');\n}\n",
        'devstack/start.ts': "import { pool } from '../db/pool';\nexport const start = pool;\n",
      }),
    ).toEqual([]);
  });

  it('catch a planted bad import with the rule that forbids it', async () => {
    expect(
      await violationsIn({
        'core/engine.ts': "import { Pool } from 'pg';\nimport { send } from '../channels/email';\nexport const engine = [Pool, send];\n",
        'channels/email.ts': 'export const send = 1;\n',
        'workflows/lead.ts': "import { store } from '../activities/lead';\nexport const lead = store;\n",
        'activities/lead.ts': 'export const store = 1;\n',
        'api/routes.ts': "import { start } from '../devstack/start';\nexport const routes = start;\n",
        'devstack/start.ts': 'export const start = 1;\n',
        'app/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
        'app/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      }),
    ).toEqual([
      'api-is-the-edge: api/routes.ts → devstack/start.ts',
      'core-imports-nothing-of-ours: core/engine.ts → channels/email.ts',
      'core-imports-nothing-of-ours: core/engine.ts → node_modules/pg',
      'devstack-only-when-its-commands-run: api/routes.ts → devstack/start.ts',
      'no-cycles: app/a.ts → app/b.ts',
      'workflows-are-sandboxed: workflows/lead.ts → activities/lead.ts',
      'workflows-use-activity-types-only: workflows/lead.ts → activities/lead.ts',
    ]);
  });

  it('keep test-only packages out of production code', async () => {
    expect(
      await violationsIn({
        'app/servers.ts': "import { TestWorkflowEnvironment } from '@temporalio/testing';\nexport const env = TestWorkflowEnvironment;\n",
        'devstack/temporal.ts': "import { TestWorkflowEnvironment } from '@temporalio/testing';\nexport const env = TestWorkflowEnvironment;\n",
      }),
    ).toEqual(['production-loads-no-dev-dependency: app/servers.ts → node_modules/@temporalio/testing']);
  });
});
