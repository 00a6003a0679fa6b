// bench/cluster: the figures a Temporal server is judged by here, measured on the CLI's dev server and
// then on the four-service cluster (devstack/cluster.ts), one after the other on this machine, and
// printed side by side: raw signalWithStart/s, events/s through the API one per request and in
// batches (each as a ratio to raw), lead starts/s against a no-op workflow's, and speed to lead
// p50/p99 under BENCH_ACTIVE_LEADS active leads (10,000 unless told). It runs bench/api (phases 1-5)
// and bench/workflows (without its idle phase) on each server: ~25 min on two cores.
// Prints one JSON object; a table and the benchmarks' progress go to stderr.
import { z } from 'zod';
import { runBenchmark } from './benchProcess';

const SERVERS = ['dev-server', 'cluster'] as const;

/** What this bench reads of the two benchmarks' output: a change there fails here by name. */
const apiFigures = z.object({
  raw: z.object({ signalWithStartPerSecond: z.number() }),
  single: z.object({ sustainedPerSecond: z.number(), ratioToRaw: z.number(), requestP99Ms: z.number() }),
  batched: z.object({ sustainedPerSecond: z.number(), ratioToRaw: z.number() }),
  speedToLead: z.object({ p50Ms: z.number(), p99Ms: z.number() }),
});
const workflowFigures = z.object({
  starts: z.object({ lead: z.object({ perSecond: z.number() }), noop: z.object({ perSecond: z.number() }), ratio: z.number() }),
  events: z.object({ lead: z.object({ foldedPerSecond: z.number() }), noop: z.object({ foldedPerSecond: z.number() }), ratio: z.number() }),
});

async function measure(server: (typeof SERVERS)[number]) {
  const env = { BENCH_TEMPORAL: server };
  const api = apiFigures.parse(await runBenchmark('api', { ...env, BENCH_API_PHASES: '5' }));
  const workflows = workflowFigures.parse(await runBenchmark('workflows', { ...env, BENCH_IDLE_LEADS: '0' }));
  return {
    rawSignalWithStartPerSecond: api.raw.signalWithStartPerSecond,
    singleEventsPerSecond: api.single.sustainedPerSecond,
    singleRatioToRaw: api.single.ratioToRaw,
    batchedEventsPerSecond: api.batched.sustainedPerSecond,
    batchedRatioToRaw: api.batched.ratioToRaw,
    leadStartsPerSecond: workflows.starts.lead.perSecond,
    noopStartsPerSecond: workflows.starts.noop.perSecond,
    startRatio: workflows.starts.ratio,
    leadEventsFoldedPerSecond: workflows.events.lead.foldedPerSecond,
    foldRatio: workflows.events.ratio,
    speedToLeadP50Ms: api.speedToLead.p50Ms,
    speedToLeadP99Ms: api.speedToLead.p99Ms,
  };
}

async function main(): Promise<void> {
  const devServer = await measure('dev-server');
  const cluster = await measure('cluster');
  process.stderr.write(`\n${'figure'.padEnd(30)} ${'dev server'.padStart(12)} ${'cluster'.padStart(12)}\n`);
  for (const key of Object.keys(devServer) as Array<keyof typeof devServer>) {
    process.stderr.write(`${key.padEnd(30)} ${String(devServer[key]).padStart(12)} ${String(cluster[key]).padStart(12)}\n`);
  }
  console.log(JSON.stringify({ bench: 'cluster', devServer, cluster }));
}

main().catch((err: Error) => {
  process.stderr.write(`bench/cluster: ${err.message}\n`);
  process.exitCode = 1;
});
