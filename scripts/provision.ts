// `npm run provision [-- temporal-cli|test-server]`: provisions the Temporal binaries into .tools/
// ahead of time and prints where they are, one line each (also usable from shell scripts).
import { MissingToolError, resolveTemporalCli, resolveTestServer } from './tools';

const resolvers = { 'temporal-cli': resolveTemporalCli, 'test-server': resolveTestServer };
type ToolName = keyof typeof resolvers;

async function main(requested: string[]): Promise<void> {
  const unknown = requested.filter((name) => !(name in resolvers));
  if (unknown.length) throw new MissingToolError(`unknown tool ${unknown.join(', ')}: expected ${Object.keys(resolvers).join(' or ')}`);
  const names = (requested.length ? requested : Object.keys(resolvers)) as ToolName[];
  for (const name of names) {
    const executable = await resolvers[name]();
    const where = executable.type === 'existing-path' ? executable.path : "(the SDK's download at first start)";
    process.stdout.write(requested.length === 1 ? `${where}\n` : `${name}: ${where}\n`);
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`provision: ${err.message}\n`);
  process.exitCode = 1;
});
