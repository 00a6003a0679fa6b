// `npm run capacity [-- <report>]`: prints the capacity model (scripts/capacity.ts) as markdown, from
// the report `npm run bench` writes to .data/bench-report.json or the one named, for docs/capacity.md.
import fs from 'node:fs/promises';
import path from 'node:path';
import { capacityMarkdown, defaultAssumptions, figuresFromReport } from './capacity';

/** Where bench/run.ts writes its report (the default data folder, .data beside the checkout). */
const DEFAULT_REPORT = path.resolve(__dirname, '..', '.data', 'bench-report.json');

async function main(file: string): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new Error(`no bench report at ${file}: run \`npm run bench -- footprint workflows channels api\` first`);
  }
  const figures = figuresFromReport(JSON.parse(text));
  process.stdout.write(`${capacityMarkdown(figures, defaultAssumptions(figures))}\n`);
}

main(path.resolve(process.argv[2] ?? DEFAULT_REPORT)).catch((err: Error) => {
  process.stderr.write(`capacity: ${err.message}\n`);
  process.exitCode = 1;
});
