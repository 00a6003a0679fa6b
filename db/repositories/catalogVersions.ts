// Catalog versions as the lead workers publish them, and the running leads by sequence, for
// `nurture diff`.
import type { CatalogSnapshot } from '../../core/catalogDiff';
import type { Database } from '../pool';

/** Records the version (once) and makes it the live one. */
export async function publishCatalog(db: Database, version: string, snapshot: CatalogSnapshot): Promise<void> {
  await db.query(
    `INSERT INTO catalog_versions (version, snapshot) VALUES ($1, $2)
     ON CONFLICT (version) DO UPDATE SET live_since = now()`,
    [version, JSON.stringify(snapshot)],
  );
}

export async function liveCatalog(db: Database): Promise<{ version: string; snapshot: CatalogSnapshot; liveSince: Date } | undefined> {
  const { rows } = await db.query<{ version: string; snapshot: CatalogSnapshot; live_since: Date }>('SELECT version, snapshot, live_since FROM catalog_versions ORDER BY live_since DESC LIMIT 1');
  const row = rows[0];
  return row && { version: row.version, snapshot: row.snapshot, liveSince: row.live_since };
}

/** Leads in each sequence now (not erased), by sequence id. */
export async function leadsInSequences(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.query<{ sequence_id: string; n: number }>(
    'SELECT sequence_id, count(*)::int AS n FROM leads WHERE erased_at IS NULL AND sequence_id IS NOT NULL GROUP BY sequence_id',
  );
  return Object.fromEntries(rows.map((row) => [row.sequence_id, row.n]));
}
