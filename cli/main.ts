// The `nurture` command.
// Production processes (`nurture worker`, `nurture api`) never load devstack/: the commands that
// need it import it when they run.
import { Command } from 'commander';
import { ConfigError, dataDirOf, parseConfig } from '../app/config';
import { lintDeployment } from '../app/lint';
import { runApi, runWorker } from '../app/parts';
import { MissingToolError } from '../scripts/tools';
import { createKey, type ApiTarget } from './apiClient';
import { runDemo } from './demo';
import { exportHistory } from './history';
import { formatImport, runImport } from './import';
import { InputError } from './inputs';
import { runReplay } from './replay';
import { runSimulate } from './simulate';
import { runBacktest, type BacktestOptions } from './backtest';
import { runDiff, type DiffOptions } from './diff';
import { listExperiments, promoteVariant, type ExperimentsOptions, type PromoteOptions } from './experiments';
import { controlLeads, LEAD_CONTROLS, type ControlOptions } from './leadControl';
import { exportLeads, type ExportOptions } from './leadExport';
import { timelineLines } from './timeline';
import { addRep, importReps, listRepLines, type RepFields } from './reps';

const program = new Command()
  .name('nurture')
  .description('Durable, code-first lead-nurture engine on Temporal')
  .showHelpAfterError();

program
  .command('start')
  .description('run the engine: embedded PostgreSQL and Temporal dev server unless DATABASE_URL / TEMPORAL_ADDRESS are set')
  .action(async () => {
    const config = parseConfig(process.env);
    const { start } = await import('../devstack/start.js');
    await start(config);
  });

program
  .command('worker')
  .description('run the lead worker and the delivery workers of the configured channels against DATABASE_URL and TEMPORAL_ADDRESS (scale out with more of them)')
  .action(() => runWorker(parseConfig(process.env)));

program
  .command('api')
  .description('run the HTTP API alone on PORT against DATABASE_URL and TEMPORAL_ADDRESS (needs NURTURE_API_KEY, NURTURE_LINK_SECRET and NURTURE_ERASURE_SECRET)')
  .action(() => runApi(parseConfig(process.env)));

const reps = program.command('reps').description('the sales reps who take handoffs, through the API with an admin key');
const target = (command: ReturnType<typeof program.command>) =>
  command.option('--api <url>', 'the API (default: NURTURE_API_URL, else http://127.0.0.1:$PORT)').option('--key <key>', 'an admin key (default: NURTURE_API_KEY, else the local dev key)');
target(
  reps
    .command('add')
    .description('add a rep: who they are, what they cover, when they work')
    .requiredOption('--id <id>', 'a short lower-case id, e.g. dana')
    .requiredOption('--name <name>', 'their name')
    .option('--email <address>', 'where alerts go')
    .option('--phone <e164>', 'for SMS alerts, e.g. +14155550123')
    .option('--sms', 'alert by SMS too')
    .option('--webhook <url>', 'also post alerts here (e.g. a Slack incoming webhook)')
    .option('--territories <codes>', 'countries and regions they cover, e.g. US,CA or US-NY,US-NJ (default: anywhere)')
    .option('--industries <names>', 'industries they cover, e.g. software,saas (default: any)')
    .option('--size <band>', 'company sizes they cover, in people, e.g. 100-1000')
    .option('--weight <n>', 'their share of the round robin (default 1)')
    .option('--capacity <n>', 'open handoffs at most')
    .option('--zone <zone>', 'their time zone, e.g. America/New_York')
    .option('--hours <windows>', 'their working hours in that zone (default with --zone: 09:00-17:00,mon-fri)')
    .option('--manager <id>', 'the rep told when their task breaches its SLA')
    .option('--team <id>', 'their team'),
).action(async (options: RepFields & ApiTarget & { sms?: boolean }) => {
  console.log(await addRep({ ...options, sms: options.sms ? 'true' : undefined }, options));
});
target(reps.command('list').description('list the reps')).action(async (options: ApiTarget) => {
  console.log((await listRepLines(options)).join('\n'));
});
target(
  reps
    .command('import')
    .description('add or update reps from a CSV whose header names the add flags (id,name,email,territories,…; lists comma-separated in quotes)')
    .argument('<file>', 'the CSV file'),
).action(async (file: string, options: ApiTarget) => {
  const { created, updated } = await importReps(file, options);
  console.log(`${created} reps added, ${updated} updated`);
});

program
  .command('import')
  .description('import leads from a CSV file through the API, with a progress bar; prints every row that failed (exit code 1 if any did)')
  .argument('<file>', 'CSV with a header row; columns named like lead fields (email, First Name, companySize, …) are mapped, others become attributes')
  .option('--mapping <json>', 'lead fields by column, e.g. \'{"email":"E-mail address"}\'')
  .option('--api <url>', 'the API (default: NURTURE_API_URL, else http://127.0.0.1:$PORT)')
  .option('--key <key>', 'an API key with the ingest scope (default: NURTURE_API_KEY, else the local dev key)')
  .action(async (file: string, options: { mapping?: string; api?: string; key?: string }) => {
    const result = await runImport(file, options);
    console.log(formatImport(result));
    if (result.failed.length) process.exitCode = 1;
  });

program
  .command('demo')
  .description('load a small realistic data set into a running engine (leads from three sources, a minute of behaviour) and print what it did with them: sequences, emails, a re-accelerated cadence, sales handoffs; running it again adds nothing')
  .option('--leads <n>', 'how many leads, 10 to 1000 (default 300)')
  .option('--seed <n>', 'another seed makes another data set, with other lead ids (default 1)')
  .option('--api <url>', 'the API (default: NURTURE_API_URL, else http://127.0.0.1:$PORT)')
  .option('--key <key>', 'an API key with the ingest, read and sales scopes (default: NURTURE_API_KEY, else the local dev key)')
  .action((options: { leads?: string; seed?: string; api?: string; key?: string }) => runDemo(options));

target(
  program
    .command('lead <id>')
    .description("the lead's timeline through the API: events, decisions and their reasons, touches sent or held back and why, stage, consent, handoffs"),
).action(async (id: string, options: ApiTarget) => {
  console.log((await timelineLines(id, options)).join('\n'));
});

const leads = program.command('leads').description("pause, resume, enrol or exit leads' runs: one by id, or every lead a filter matches (counted first; --yes does it); export leads as CSV");
for (const action of LEAD_CONTROLS) {
  target(
    leads
      .command(`${action} [id]`)
      .description(`${action} one lead, or every lead the filter matches`)
      .option('--stage <stage>', 'leads at this stage, e.g. mql')
      .option('--source <source>', 'leads from this source, e.g. webinar')
      .option('--segment <segment>', 'leads in this segment')
      .option('--query <expression>', 'the same filters as one expression: stage = "mql" AND source = "webinar"')
      .option('--sequence <id>', 'for enrol: the sequence')
      .option('--reason <text>', 'for exit: why they leave their sequence')
      .option('--yes', 'do it to every lead the filter matches (without: count them only)'),
  ).action(async (id: string | undefined, options: ControlOptions) => {
    console.log(await controlLeads(action, id, options));
  });
}

target(
  leads
    .command('export')
    .description('the leads (all, or those the filter matches) as CSV for a spreadsheet: profile, consent, stage, score; formula-like cells neutralised; needs an admin key')
    .option('--stage <stage>', 'leads at this stage, e.g. mql')
    .option('--source <source>', 'leads from this source, e.g. webinar')
    .option('--segment <segment>', 'leads in this segment')
    .option('--out <file>', 'write to this file (default: standard output)'),
).action(async (options: ExportOptions) => {
  const saved = await exportLeads(options);
  if (saved) console.log(saved);
});

const experiments = program.command('experiments').description('A/B tests of message steps');
target(
  experiments
    .command('list', { isDefault: true })
    .description("each test's variants: exposures, the metric's rate with its sample, the lift over the control with its 95% interval, the p-value and what it allows one to say")
    .option('--experiment <id>', 'one experiment, <sequence>/<step>')
    .option('--metric <metric>', 'opened, clicked, replied, or conversion to mql, sql or opportunity (default mql)')
    .option('--window-days <days>', 'how long after its exposure a conversion counts (default 30)'),
).action(async (options: ExperimentsOptions) => {
  process.stdout.write(await listExperiments(options));
});
target(
  experiments
    .command('promote <experiment> <variant>')
    .description("make the variant the step for every lead (sequences/promotions.ts; live at the lead workers' next start), once the results show it better than the control at 95% with enough data")
    .option('--metric <metric>', 'what it must be better on (default mql)')
    .option('--window-days <days>', 'the conversion window (default 30)')
    .option('--force', 'promote it whatever the results say'),
).action(async (experiment: string, variant: string, options: PromoteOptions) => {
  process.stdout.write(await promoteVariant(experiment, variant, options));
});

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description('make an API key (shown once; only its hash is kept) through the API, with an admin key')
  .requiredOption('--scope <scope>', 'ingest, read, sales, marketing (the marketers\' pages: read and steer leads) or admin (repeatable)', (scope: string, scopes: string[] = []) => [...scopes, scope])
  .option('--name <name>', 'what the key is for', 'api key')
  .option('--rep <id>', "a rep's own key (scope sales): it reads and decides that rep's handoffs only")
  .option('--api <url>', 'the API (default: NURTURE_API_URL, else http://127.0.0.1:$PORT)')
  .option('--key <key>', 'an admin key (default: NURTURE_API_KEY, else the local dev key)')
  .action(async (options: { scope: string[]; name: string; rep?: string; api?: string; key?: string }) => {
    const created = await createKey(options.name, options.scope, options);
    console.log(`${created.secret}\n(${created.id}, scopes ${created.scopes.join(', ')}${options.rep ? `, for rep ${options.rep}` : ''}: keep the key now, it is not shown again)`);
  });

program
  .command('outbox')
  .description("the latest emails and texts the local sinks of `nurture start` caught (newest first)")
  .option('--limit <n>', 'how many', (value: string) => Number(value), 20)
  .action(async (options: { limit: number }) => {
    const dataDir = dataDirOf(parseConfig(process.env));
    const { printOutbox } = await import('../devstack/outbox.js');
    await printOutbox(dataDir, { limit: options.limit });
  });

program
  .command('lint')
  .description('validate the model (sequences/model.ts), every sequence and template; prints `file: path: message` lines and exits non-zero on any')
  .action(() => {
    const issues = lintDeployment();
    for (const issue of issues) console.log(`${issue.file}: ${issue.path}: ${issue.message}`);
    if (issues.length) process.exitCode = 1;
    else console.error('lint: every sequence and template is valid');
  });

program
  .command('diff')
  .description("what the catalog in the code (or --catalog) changes against the live one, the version the lead workers last started on: the model's values, routing, and sequence by sequence each step added, removed or changed, templates included, with the leads in each sequence")
  .option('--catalog <module>', 'a TypeScript module exporting the candidate `catalog` (default: the code\'s own)')
  .option('--templates <dir>', "the candidate's templates (default: sequences/templates)")
  .action(async (options: DiffOptions) => {
    process.stdout.write(await runDiff(options));
  });

program
  .command('backtest')
  .description("run the leads that arrived lately again, from their stored events, under the live catalog and a candidate (no sends, no writes) and print the difference: touches per lead, MQLs and handoffs and how soon, deferrals by cause, leads whose path changes")
  .requiredOption('--catalog <module>', 'a TypeScript module exporting the candidate `catalog`, e.g. examples/candidate-catalog.ts')
  .option('--since <duration>', 'leads that arrived within this long before the end', '90d')
  .option('--as-of <iso>', 'when the runs end (default: the latest stored event, so the same data gives the same report)')
  .option('--json', 'print the report as JSON')
  .option('--jobs <n>', 'threads to run the leads on, the same report for any number (default: one per CPU; 1: no threads)')
  .action(async (options: BacktestOptions) => {
    const started = Date.now();
    const progress = process.stderr.isTTY ? (leads: number) => process.stderr.write(`\r${leads} leads`) : undefined;
    process.stdout.write(await runBacktest(options, process.env, progress));
    // Kept out of the report, which is the same for the same data.
    process.stderr.write(`${progress ? '\n' : ''}ran in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
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

const history = program.command('history').description('workflow histories as JSON files');
history
  .command('export')
  .description('write a workflow\'s history as JSON, as `temporal workflow show --output json` does (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE)')
  .argument('<workflowId>', 'e.g. lead-<leadId> or handoff-<leadId>-<n>')
  .option('--out <file>', 'write to this file instead of stdout')
  .option('--run-id <id>', 'this run instead of the latest')
  .action(async (workflowId: string, options: { out?: string; runId?: string }) => {
    console.error(await exportHistory(workflowId, options));
  });

program
  .command('replay')
  .description('replay histories against the current workflow code; prints `ok` or `FAIL` per history and exits non-zero on any failure')
  .argument('[paths...]', 'history JSON files, or folders of them (every *.json)')
  .option('--workflow-id <id>', 'the latest run of this workflow on the server (repeatable)', (id: string, ids: string[] = []) => [...ids, id])
  .option('--query <query>', 'every run this visibility query lists, e.g. \'WorkflowType="leadWorkflow"\'')
  .option('--workflows <path>', 'the workflows module to replay against (default: workflows/index.ts)')
  .option('--jobs <n>', 'replay in this many processes at once, e.g. one per core for hundreds of histories (default: 1)')
  .action(async (paths: string[], options: { workflowId?: string[]; query?: string; workflows?: string; jobs?: string }) => {
    const summary = await runReplay(paths, options);
    const total = summary.ok + summary.failed;
    console.error(`replay: ${total} ${total === 1 ? 'history' : 'histories'}, ${summary.ok} ok, ${summary.failed} failed`);
    if (summary.failed) process.exitCode = 1;
  });

program.parseAsync().catch((err: unknown) => {
  // Known start-up failures are one line; anything else keeps its stack for a bug report.
  const known = err instanceof ConfigError || err instanceof MissingToolError || err instanceof InputError;
  console.error(`nurture: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
  process.exit(1);
});
