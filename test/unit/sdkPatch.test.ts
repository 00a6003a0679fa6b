// The patch to @temporalio/worker (patches/) speeds up replays; it must never break an install. On
// an SDK it no longer fits, `npm ci` goes on and replays run without it, with a warning.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unpatchedReplayWarning } from '../../workers/replay';

const ROOT = path.resolve(__dirname, '../..');
const postinstall = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { postinstall: string } }).scripts.postinstall;

describe('the SDK patch', () => {
  it('lets the install succeed, saying so, where the patch no longer fits the installed SDK', async () => {
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-patch-'));
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    fs.cpSync(path.join(ROOT, 'patches'), path.join(app, 'patches'), { recursive: true });
    // Another SDK version, whose files the patch's context lines no longer match.
    const sdk = path.join(app, 'node_modules/@temporalio/worker');
    fs.mkdirSync(path.join(sdk, 'lib/workflow'), { recursive: true });
    fs.writeFileSync(path.join(sdk, 'package.json'), JSON.stringify({ name: '@temporalio/worker', version: '1.99.0' }));
    for (const file of ['lib/worker.js', 'lib/workflow/vm-shared.js', 'lib/workflow/reusable-vm.js', 'lib/workflow/vm.js']) fs.writeFileSync(path.join(sdk, file), '// rewritten upstream\n');

    const env = { ...process.env, CI: 'true', PATH: `${path.join(ROOT, 'node_modules/.bin')}${path.delimiter}${process.env.PATH}` };
    const { stderr } = await promisify(execFile)('sh', ['-c', postinstall], { cwd: app, env });
    expect(stderr).toContain('the patch to @temporalio/worker did not apply; the install goes on');
    expect(fs.readFileSync(path.join(sdk, 'lib/worker.js'), 'utf8')).toBe('// rewritten upstream\n');
  });

  it('is in effect on this install, and a replay without it says why it is slower', () => {
    expect(unpatchedReplayWarning()).toBeUndefined();
    expect(unpatchedReplayWarning({})).toMatch(/patch to @temporalio\/worker .* is not applied .* about 2\.4x slower/);
  });
});
