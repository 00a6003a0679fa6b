// `npm run bench`: runs every benchmark in its own process, one after the other (they measure this
// machine, so they must not share it), writes one JSON report to .data/bench-report.json and
// prints a short table of the figures. `npm run bench -- <name>...` runs those named, `cluster`
// among them (bench/api and bench/workflows again on both servers, ~25 min), which is left out otherwise.
import fs from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_DATA_DIR as dataDir } from '../app/config';
import { runBenchmark } from './benchProcess';

const BENCHMARKS = ['core', 'backtest', 'workflows', 'channels', 'footprint', 'api', 'pages', 'clusterSoak'];
const ON_REQUEST = ['cluster'];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => ![...BENCHMARKS, ...ON_REQUEST].includes(name));
  if (unknown.length) throw new Error(`no benchmark named ${unknown.join(', ')}; there are ${[...BENCHMARKS, ...ON_REQUEST].join(', ')}`);
  const report: Record<string, unknown> = {};
  for (const name of only.length ? only : BENCHMARKS) {
    process.stderr.write(`bench/${name} ...\n`);
    const started = Date.now();
    const figures = await runBenchmark(name);
    report[name] = { ...figures, wallSeconds: Math.round((Date.now() - started) / 100) / 10 };
  }
  await fs.mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, 'bench-report.json');
  await fs.writeFile(file, `${JSON.stringify({ at: new Date().toISOString(), report }, null, 2)}\n`);
  for (const [name, figures] of Object.entries(report)) {
    console.log(`\n${name}`);
    for (const [key, value] of Object.entries(figures as Record<string, unknown>)) {
      console.log(`  ${key.padEnd(32)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
    }
  }
  console.log(`\nreport: ${file}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
