// The `nurture` command.
import { Command } from 'commander';
import { ConfigError, parseConfig } from '../core/config';
import { MissingToolError } from '../scripts/tools';
import { start } from './start';

const program = new Command()
  .name('nurture')
  .description('Durable, code-first lead-nurture engine on Temporal')
  .showHelpAfterError();

program
  .command('start')
  .description('run the engine: embedded PostgreSQL and Temporal dev server unless DATABASE_URL / TEMPORAL_ADDRESS are set')
  .action(() => start(parseConfig(process.env)));

program.parseAsync().catch((err: unknown) => {
  // Known start-up failures are one line; anything else keeps its stack for a bug report.
  const known = err instanceof ConfigError || err instanceof MissingToolError;
  console.error(`nurture: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
  process.exit(1);
});
