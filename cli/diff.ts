// `nurture diff`: what the catalog in the code (or a candidate module) changes against the live one,
// the version the lead worker last started on, change by change, with the leads in each sequence a
// change reaches.
import { parseConfig } from '../app/config';
import { catalogSnapshotOf, withRulePromotions } from '../app/liveCatalog';
import { engineCatalog } from '../app/parts';
import { diffCatalogs } from '../core/catalogDiff';
import { leadsInSequences, liveCatalog } from '../db/repositories/catalogVersions';
import { snapshotVersion } from '../sequences/catalog';
import { engineDatabase, loadCatalog } from './catalogs';
import { InputError } from './inputs';

export interface DiffOptions {
  /** A module exporting the candidate `catalog`; the code's own catalog when absent. */
  catalog?: string;
  /** The candidate's templates; the shipped library's (sequences/templates) when absent. */
  templates?: string;
}

export async function runDiff(options: DiffOptions, env: Record<string, string | undefined> = process.env): Promise<string> {
  const config = parseConfig(env);
  const pool = engineDatabase(config);
  try {
    // The workers run the code with the winners A/B tests' rules chose: so does the comparison.
    const { catalog } = await withRulePromotions(pool, options.catalog ? loadCatalog(options.catalog) : engineCatalog(config));
    const candidate = catalogSnapshotOf(catalog, ...(options.templates ? [options.templates] : []));
    const live = await liveCatalog(pool);
    if (!live) throw new InputError('no catalog is live yet: a lead worker records its catalog when it starts (npm start, nurture worker)');
    const changes = diffCatalogs(live.snapshot, candidate);
    const header = `${live.version} (live since ${live.liveSince.toISOString()}) → ${snapshotVersion(candidate)}`;
    if (!changes.length) return `${header}\nno changes\n`;
    const leads = await leadsInSequences(pool);
    const width = Math.max(...changes.map((change) => change.where.length));
    return [
      header,
      ...changes.map((change) => `${change.where.padEnd(width)}  ${change.what}${change.sequenceId ? `  (${leads[change.sequenceId] ?? 0} leads in ${change.sequenceId})` : ''}`),
      `${changes.length} change${changes.length === 1 ? '' : 's'}; live once the workers start on it: sequence edits reach new enrolments and running leads as the migration says, template edits every later send`,
      '',
    ].join('\n');
  } finally {
    await pool.end();
  }
}
