// bench/workflows: the lead workflow on a real Temporal CLI dev server against a no-op workflow of the
// same shape, in one run: leads started per second, events folded per second (each as a ratio to the
// no-op), lead histories replayed per second, and worker memory while 10,000 leads sit idle.
// Prints one JSON object to stdout; progress goes to stderr.
// Targets: both ratios lead/no-op ≥ 0.8; ≥ 200 histories replayed per second; worker memory flat
// (bounded by the workflow cache) while 10,000 leads sit idle.
//
// The measuring runs in a child process (bench/workflowsRun.ts), which is also the worker process whose
// memory is sampled: the dev server it starts (and the SDK's native logger) write to their inherited
// stdout, so the child's stdout goes to this process's stderr and the result comes back over IPC.
// Sizes and time budgets are set by environment variables; see bench/workflowsRun.ts.
import { fork } from 'node:child_process';

const child = fork(require.resolve('./workflowsRun'), [], { stdio: ['ignore', 2, 2, 'ipc'], execArgv: process.execArgv });
let result: unknown;
child.on('message', (message) => {
  result = message;
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void child.kill(signal));
child.on('exit', (code, signal) => {
  if (result !== undefined) console.log(JSON.stringify(result));
  else process.stderr.write(`bench/workflows: the measuring process ended without a result (${signal ?? `exit code ${code}`})\n`);
  process.exit(result !== undefined ? (code ?? 1) : code || 1);
});
