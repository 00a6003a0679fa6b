// `nurture start` as a child process, as a new user runs it from a terminal: for the tests that
// need the whole engine (its own embedded servers, free ports, a fresh data folder).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { isHoldout } from '../../core/model/hash';
import { defaultCatalog } from '../../sequences/library';
import { eventually } from './harness';

import { nurtureCommand, ROOT } from '../../devstack/parts';

export { nurtureCommand, ROOT };

/** A lead outside the default catalog's 10 % holdout, which is never touched. */
export function touchableLeadId(): string {
  let leadId: string;
  do leadId = `lead-${randomUUID()}`;
  while (isHoldout(leadId, defaultCatalog().model.holdoutPercent));
  return leadId;
}

/** Runs `nurture <args>` to its end: its exit code and everything it printed. */
export function runNurture(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; output: string }> {
  const child = spawn(...nurtureCommand(args), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

export interface Engine {
  child: ChildProcess;
  output: () => string;
  api: string;
  key: string;
  outbox?: string;
}

/** The environment of `nurture start` on its embedded defaults, with this data folder and API port. */
export function engineEnv(dataDir: string, port: number, settings: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...settings, NURTURE_DATA_DIR: dataDir, PORT: String(port) };
  // The integration servers of this test run must not be mistaken for configured ones.
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  return env;
}

/** Starts `nurture start` in its own process group, as a terminal would, and waits for its banner. */
export async function startEngine(dataDir: string, port: number, settings: Record<string, string> = {}): Promise<Engine> {
  const env = engineEnv(dataDir, port, settings);
  const child = spawn(...nurtureCommand(['start']), { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const banner = await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`nurture start exited with ${child.exitCode}:\n${output}`);
    return /API\s+(http\S+)\s+\(Authorization: Bearer (\S+)\)/.exec(output) ?? undefined;
  }, 90_000);
  const outbox = /Outbox\s+(http\S+)/.exec(output)?.[1];
  return { child, output: () => output, api: banner[1]!, key: banner[2]!, ...(outbox ? { outbox } : {}) };
}

/** Ctrl-C, and the engine must stop cleanly (exit code 0); otherwise fails with what it printed. */
export async function stopEngine(engine: Engine): Promise<void> {
  const { code, output } = await interrupt(engine);
  if (code !== 0) throw new Error(`nurture start exited with ${code} on Ctrl-C:\n${output}`);
}

/** Ctrl-C to the whole process group; resolves once the engine is gone, with its exit code and what it printed. */
export function interrupt(engine: Engine): Promise<{ code: number | null; output: string }> {
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => engine.child.once('exit', (code) => resolve({ code, output: engine.output() })));
  process.kill(-engine.child.pid!, 'SIGINT');
  return exited;
}
