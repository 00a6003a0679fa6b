import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MissingToolError, resolveTemporalCli, resolveTestServer } from '../../scripts/tools';

describe('tool resolution', () => {
  const saved = { ...process.env };
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nurture-tools-'));
  });
  afterEach(async () => {
    process.env = { ...saved };
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('uses TEMPORAL_CLI_PATH when it points at an executable', async () => {
    const cli = path.join(dir, 'temporal');
    await fs.writeFile(cli, '#!/bin/sh\n', { mode: 0o755 });
    process.env.TEMPORAL_CLI_PATH = cli;
    await expect(resolveTemporalCli()).resolves.toEqual({ type: 'existing-path', path: cli });
  });

  it.each([
    ['TEMPORAL_CLI_PATH', resolveTemporalCli],
    ['TEMPORAL_TEST_SERVER_PATH', resolveTestServer],
  ])('names %s in one line when it points at nothing executable', async (variable, resolve) => {
    const missing = path.join(dir, 'nope');
    process.env[variable] = missing;
    const failure = resolve().catch((err: unknown) => err);
    await expect(failure).resolves.toBeInstanceOf(MissingToolError);
    await expect(failure).resolves.toHaveProperty('message', `${variable}=${missing} is not an executable file`);
  });

  it('finds `temporal` on PATH before building one', async () => {
    const cli = path.join(dir, 'temporal');
    await fs.writeFile(cli, '#!/bin/sh\n', { mode: 0o755 });
    delete process.env.TEMPORAL_CLI_PATH;
    process.env.PATH = `${dir}${path.delimiter}${process.env.PATH}`;
    await expect(resolveTemporalCli()).resolves.toEqual({ type: 'existing-path', path: cli });
  });
});
