// `nurture backtest --catalog <module>`: the leads that arrived in the last `--since` run again,
// from their stored events, under the live catalog and the candidate one; no sends, no writes. Reads
// the database a page of leads at a time, so memory stays flat however many leads there are.
import { parseConfig } from '../app/config';
import { withRulePromotions } from '../app/liveCatalog';
import { engineCatalog } from '../app/parts';
import { availableParallelism } from 'node:os';
import { storedEvents } from '../api/pastEvents';
import { LocalTally, tallyPastLeads, ThreadedTally } from '../api/pastLeads';
import { BacktestTally, type BacktestReport } from '../core/backtest';
import { durationMs, durationSchema, iso } from '../core/model/duration';
import { latestEventAt } from '../db/repositories/events';
import { engineDatabase, loadCatalog } from './catalogs';
import { InputError } from './inputs';

export interface BacktestOptions {
  /** A module exporting the candidate `catalog` (e.g. `defaultCatalog({ ... })`). */
  catalog: string;
  /** How far back leads arrived, e.g. 90d. */
  since: string;
  /** The instant the runs end (ISO 8601); the latest stored event's time when absent, so a report can be had again. */
  asOf?: string;
  json?: boolean;
  /** Threads to run the leads on (the report is the same for any number); 1 runs them on this one. Default: one per CPU. */
  jobs?: string;
}

export async function runBacktest(options: BacktestOptions, env: Record<string, string | undefined> = process.env, onProgress?: (leads: number) => void): Promise<string> {
  if (!durationSchema.safeParse(options.since).success) throw new InputError(`--since: ${JSON.stringify(options.since)} must be a duration such as 90d`);
  const asOf = options.asOf === undefined ? undefined : Date.parse(options.asOf);
  if (Number.isNaN(asOf)) throw new InputError(`--as-of: ${JSON.stringify(options.asOf)} is not an ISO date-time`);
  const jobs = options.jobs === undefined ? availableParallelism() : Number(options.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new InputError(`--jobs: ${JSON.stringify(options.jobs)} must be a whole number of threads, 1 or more`);
  const config = parseConfig(env);
  const candidate = loadCatalog(options.catalog);
  const pool = engineDatabase(config);
  try {
    const end = asOf ?? (await latestEventAt(pool))?.getTime();
    if (end === undefined) throw new InputError('no events are stored yet: there is nothing to run again');
    // Live is what the workers run: the code with the winners A/B tests' rules chose.
    const catalogs = { live: (await withRulePromotions(pool, engineCatalog(config))).catalog, candidate };
    const window = [new Date(end - durationMs(options.since)), new Date(end)] as const;
    let report: BacktestReport;
    if (jobs === 1) {
      const tally = new BacktestTally(catalogs, end);
      await tallyPastLeads(pool, new LocalTally(tally, storedEvents(pool, window[1])), ...window, { onProgress });
      report = tally.report();
    } else {
      // Each thread reads its pages' events over a connection of its own.
      const tally = new ThreadedTally(catalogs, end, jobs, { module: require.resolve('../api/pastEvents'), options: { connectionString: pool.options.connectionString, until: end } });
      try {
        await tallyPastLeads(pool, tally, ...window, { onProgress });
        report = await tally.report();
      } finally {
        await tally.close();
      }
    }
    return options.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report, end, options);
  } finally {
    await pool.end();
  }
}

const signed = (value: number) => (value > 0 ? `+${value}` : String(value));
/** Hours as a marketer reads them: days from two days up, else hours, else minutes. */
const after = (hours: number | null) => (hours === null ? '-' : hours >= 48 ? `${Math.round((hours / 24) * 10) / 10} d` : hours >= 1 ? `${hours} h` : `${Math.round(hours * 60)} min`);

/** The report as a marketer reads it: live, candidate and the difference, line by line. */
function describe(report: BacktestReport, end: number, options: BacktestOptions): string {
  const row = (name: string, live: string | number, candidate: string | number, change = '') => `${name.padEnd(26)}${String(live).padStart(12)}${String(candidate).padStart(12)}  ${change}`.trimEnd();
  const deferralCauses = [...new Set([...Object.keys(report.deferrals.live), ...Object.keys(report.deferrals.candidate)])].sort();
  return [
    `backtest of ${report.leads} leads that arrived in the ${options.since} before ${iso(end)}, live catalog against ${options.catalog}`,
    row('', 'live', 'candidate'),
    row('touches per lead', report.touchesPerLead.live, report.touchesPerLead.candidate, signed(Math.round((report.touchesPerLead.candidate - report.touchesPerLead.live) * 100) / 100)),
    row('MQLs', report.mqls.live.count, report.mqls.candidate.count, signed(report.mqls.candidate.count - report.mqls.live.count)),
    row('  median time to MQL', after(report.mqls.live.medianHours), after(report.mqls.candidate.medianHours)),
    row('handoffs', report.handoffs.live.count, report.handoffs.candidate.count, signed(report.handoffs.candidate.count - report.handoffs.live.count)),
    row('  median time to handoff', after(report.handoffs.live.medianHours), after(report.handoffs.candidate.medianHours)),
    ...deferralCauses.map((cause) => row(`deferred: ${cause}`, report.deferrals.live[cause] ?? 0, report.deferrals.candidate[cause] ?? 0)),
    `leads whose path changes: ${report.changedPaths.leads}`,
    ...report.changedPaths.examples.map((example) => `  ${example.leadId}: live ${example.live} | candidate ${example.candidate}`),
    '',
  ].join('\n');
}
