// The `nurture` command.
import { Command } from 'commander';
import { ConfigError, parseConfig } from '../core/config';
import { MissingToolError } from '../scripts/tools';
import { defaultModel } from '../core/model';
import { lintProject } from '../sequences/lint';
import { InputError } from './inputs';
import { runSimulate } from './simulate';
import { start } from './start';

const program = new Command()
  .name('nurture')
  .description('Durable, code-first lead-nurture engine on Temporal')
  .showHelpAfterError();

program
  .command('start')
  .description('run the engine: embedded PostgreSQL and Temporal dev server unless DATABASE_URL / TEMPORAL_ADDRESS are set')
  .action(() => start(parseConfig(process.env)));

program
  .command('lint')
  .description('validate every sequence and template; prints `file: path: message` lines and exits non-zero on any')
  .action(() => {
    const issues = lintProject(defaultModel);
    for (const issue of issues) console.log(`${issue.file}: ${issue.path}: ${issue.message}`);
    if (issues.length) process.exitCode = 1;
    else console.error('lint: every sequence and template is valid');
  });

program
  .command('simulate')
  .description("preview what the engine does with a lead's timeline, without a server")
  .requiredOption('--lead <file>', 'the lead, as JSON')
  .option('--events <file>', 'events, as a JSON array or JSON lines')
  .option('--sequence <id>', 'enrol in this sequence instead of routing')
  .option('--start <iso>', 'when the lead is created (default: its first event)')
  .option('--until <duration>', 'how long to run', '90d')
  .option('--json', 'print JSON instead of a timeline')
  .action((options) => {
    process.stdout.write(runSimulate(options));
  });

program.parseAsync().catch((err: unknown) => {
  // Known start-up failures are one line; anything else keeps its stack for a bug report.
  const known = err instanceof ConfigError || err instanceof MissingToolError || err instanceof InputError;
  console.error(`nurture: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
  process.exit(1);
});
