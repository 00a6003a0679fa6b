// `npm run build:workflows [-- <file>]`: bundles the lead and handoff workflows ahead of time, as the
// production image does, so a worker started with NURTURE_WORKFLOW_BUNDLE=<file> skips bundling.
import fs from 'node:fs/promises';
import path from 'node:path';
import { bundleLeadWorkflows } from '../workers/bundle';

const DEFAULT_OUTPUT = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

async function main(output: string): Promise<void> {
  const { code } = await bundleLeadWorkflows();
  await fs.mkdir(path.dirname(output), { recursive: true });
  await fs.writeFile(output, code);
  process.stdout.write(`${output} (${(code.length / 1024).toFixed(0)} KB)\n`);
}

main(path.resolve(process.argv[2] ?? DEFAULT_OUTPUT)).catch((err: Error) => {
  process.stderr.write(`build:workflows: ${err.message}\n`);
  process.exitCode = 1;
});
