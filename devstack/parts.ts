// `nurture api` and `nurture worker` as child processes, side by side as a deployment runs them: for
// the tests and benchmarks that scale the engine out, and kill or roll its processes.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');

/** `nurture` as `npm start` and `npm run nurture` run it: one node process with tsx loaded, no relay in between. */
export function nurtureCommand(args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args]];
}

export interface PartProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
}

/** Starts `nurture <command>` with this environment; resolves once it says it is running. */
export async function startPart(command: 'api' | 'worker', env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<PartProcess> {
  const child = spawn(...nurtureCommand([command]), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('running; Ctrl-C stops it')) {
    if (child.exitCode !== null) throw new Error(`nurture ${command} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nurture ${command} did not start within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, output: () => output };
}

function exited(part: PartProcess): Promise<void> {
  if (part.child.exitCode !== null || part.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => part.child.once('exit', () => resolve()));
}

/** SIGTERM, as an orchestrator stops a process, then SIGKILL if it is still there after the grace: its exit code and last output. */
export async function stopPart(part: PartProcess, graceMs = 20_000): Promise<{ code: number | null; output: string }> {
  part.child.kill('SIGTERM');
  const timer = setTimeout(() => part.child.kill('SIGKILL'), graceMs);
  await exited(part);
  clearTimeout(timer);
  return { code: part.child.exitCode, output: part.output().slice(-2_000) };
}

/** SIGKILL: no shutdown, no finally. Resolves once the process is gone. */
export async function killPart(part: PartProcess): Promise<void> {
  part.child.kill('SIGKILL');
  await exited(part);
}

/**
 * What every part of a scaled-out engine is configured with, as a deployment sets it: the servers,
 * the secrets, a prebuilt workflow bundle (a worker that comes back polls within seconds), email
 * through `smtpUrl` at any hour, and a free metrics port per worker.
 */
export function deploymentEnvironment(settings: { databaseUrl: string; temporalAddress: string; namespace: string; apiKey: string; smtpUrl: string; workflowBundle: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: settings.databaseUrl,
    TEMPORAL_ADDRESS: settings.temporalAddress,
    TEMPORAL_NAMESPACE: settings.namespace,
    NURTURE_API_KEY: settings.apiKey,
    NURTURE_LINK_SECRET: 'scaled-out-link-secret-0123456789',
    NURTURE_ERASURE_SECRET: 'scaled-out-erasure-secret-0123456789',
    NURTURE_WORKFLOW_BUNDLE: settings.workflowBundle,
    SMTP_URL: settings.smtpUrl,
    NURTURE_SENDER_ADDRESS: '1 Harbour Street, Lisbon',
    NURTURE_EMAIL_WINDOW: '00:00-24:00,mon-sun',
    METRICS_PORT: '0',
  };
}
