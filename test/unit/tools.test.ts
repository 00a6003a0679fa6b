import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { patiently } from '../../devstack/temporal';
import { MissingToolError, resolveTemporalCli, resolveTemporalServer, resolveTemporalSqlTool, resolveTestServer } from '../../scripts/tools';

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
    ['TEMPORAL_SERVER_PATH', resolveTemporalServer],
    ['TEMPORAL_SQL_TOOL_PATH', resolveTemporalSqlTool],
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

  it('takes the full server, its SQL tool and their schemas from their variables without building anything', async () => {
    const [server, sqlTool] = [path.join(dir, 'server'), path.join(dir, 'sql')];
    for (const file of [server, sqlTool]) await fs.writeFile(file, '#!/bin/sh\n', { mode: 0o755 });
    for (const store of ['temporal', 'visibility']) await fs.mkdir(path.join(dir, 'schema', store, 'versioned'), { recursive: true });
    Object.assign(process.env, { TEMPORAL_SERVER_PATH: server, TEMPORAL_SQL_TOOL_PATH: sqlTool, TEMPORAL_SCHEMA_DIR: path.join(dir, 'schema') });
    await expect(resolveTemporalServer()).resolves.toBe(server);
    await expect(resolveTemporalSqlTool()).resolves.toEqual({ path: sqlTool, schemaDir: path.join(dir, 'schema') });
  });

  it('names TEMPORAL_SCHEMA_DIR when it holds no schemas', async () => {
    process.env.TEMPORAL_SCHEMA_DIR = dir;
    await expect(resolveTemporalSqlTool()).rejects.toThrow(`TEMPORAL_SCHEMA_DIR=${dir} holds no temporal/versioned and visibility/versioned folders`);
  });
});

describe('a server start', () => {
  const slow = () => new Error('Failed to start ephemeral server: ephemeral server at 127.0.0.1:43097 did not start within 5s.');

  it('is tried again when the server was only slow, and no more than three times', async () => {
    let tries = 0;
    await expect(patiently(async () => (++tries < 3 ? Promise.reject(slow()) : 'started'))).resolves.toBe('started');
    expect(tries).toBe(3);
    tries = 0;
    await expect(patiently(async () => (++tries, Promise.reject(slow())))).rejects.toThrow('did not start within 5s');
    expect(tries).toBe(3);
  });

  it('is not tried again when it failed for another reason', async () => {
    let tries = 0;
    await expect(patiently(async () => (++tries, Promise.reject(new Error('permission denied'))))).rejects.toThrow('permission denied');
    expect(tries).toBe(1);
  });
});
