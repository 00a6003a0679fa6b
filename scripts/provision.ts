// `npm run provision [-- temporal-cli|test-server|temporal-server|temporal-sql-tool]`: provisions the
// Temporal binaries into .tools/ ahead of time (all of them without arguments; the full server and its
// SQL tool are one `go install`, about 4 minutes) and prints where they are, one line each (also
// usable from shell scripts).
import type { EphemeralServerExecutable } from '@temporalio/testing';
import { MissingToolError, resolveTemporalCli, resolveTemporalServer, resolveTemporalSqlTool, resolveTestServer } from './tools';

const where = (executable: EphemeralServerExecutable) => (executable.type === 'existing-path' ? executable.path : "(the SDK's download at first start)");

const resolvers: Record<string, () => Promise<string>> = {
  'temporal-cli': async () => where(await resolveTemporalCli()),
  'test-server': async () => where(await resolveTestServer()),
  'temporal-server': () => resolveTemporalServer(),
  // Its PostgreSQL schemas are beside it, in schema/postgresql/v12 (or at TEMPORAL_SCHEMA_DIR).
  'temporal-sql-tool': async () => (await resolveTemporalSqlTool()).path,
};

async function main(requested: string[]): Promise<void> {
  const unknown = requested.filter((name) => !(name in resolvers));
  if (unknown.length) throw new MissingToolError(`unknown tool ${unknown.join(', ')}: expected ${Object.keys(resolvers).join(', ')}`);
  const names = requested.length ? requested : Object.keys(resolvers);
  for (const name of names) {
    const found = await resolvers[name]!();
    process.stdout.write(requested.length === 1 ? `${found}\n` : `${name}: ${found}\n`);
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`provision: ${err.message}\n`);
  process.exitCode = 1;
});
