// One benchmark in a process of its own (they measure this machine, so they must not share it):
// its last line of stdout is its JSON figures; its progress goes to this process's stderr.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function runBenchmark(name: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const child = run(process.execPath, ['--import', 'tsx', path.join(__dirname, `${name}.ts`)], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, ...env } });
  child.child.stderr?.pipe(process.stderr);
  const { stdout } = await child;
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}
