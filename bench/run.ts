// `npm run bench`: runs every benchmark in its own process, one after the other (they measure this
// machine, so they must not share it), writes one JSON report to .data/bench-report.json and
// prints a short table of the figures.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_DATA_DIR as dataDir } from '../app/config';

const BENCHMARKS = ['core', 'backtest', 'workflows', 'channels', 'footprint', 'api', 'pages', 'clusterSoak'];
const run = promisify(execFile);

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const report: Record<string, unknown> = {};
  for (const name of BENCHMARKS.filter((b) => !only.length || only.includes(b))) {
    process.stderr.write(`bench/${name} ...\n`);
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, `${name}.ts`)], { maxBuffer: 16 * 1024 * 1024 });
    const figures = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
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
