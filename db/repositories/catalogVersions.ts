// Catalog versions as the lead workers publish them, the running leads by sequence (`nurture diff`),
// and the live definition of a sequence (the marketers' pages).
import type { CatalogSnapshot } from '../../core/catalogDiff';
import type { SequenceDefinition } from '../../core/model/sequence';
import type { Catalog } from '../../core/protocol';
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

/** The ids of the live catalog's sequences, sorted; none before a lead worker has published one. */
export async function liveSequenceIds(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    "SELECT jsonb_object_keys(snapshot->'sequences') AS id FROM (SELECT snapshot FROM catalog_versions ORDER BY live_since DESC LIMIT 1) live ORDER BY 1",
  );
  return rows.map((row) => row.id);
}

/** Leads in each sequence now (not erased), by sequence id. */
export async function leadsInSequences(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.query<{ sequence_id: string; n: number }>(
    'SELECT sequence_id, count(*)::int AS n FROM leads WHERE erased_at IS NULL AND sequence_id IS NOT NULL GROUP BY sequence_id',
  );
  return Object.fromEntries(rows.map((row) => [row.sequence_id, row.n]));
}

/** A sequence of the live catalog, with its version (the published one whose definition it is). */
export async function liveSequence(db: Database, id: string): Promise<{ definition: SequenceDefinition; version: string | null } | undefined> {
  const { rows } = await db.query<{ definition: SequenceDefinition | null; version: string | null }>(
    `SELECT c.snapshot->'sequences'->$1 AS definition,
            (SELECT v.version FROM sequence_versions v WHERE v.sequence_id = $1 AND v.definition = c.snapshot->'sequences'->$1) AS version
     FROM catalog_versions c ORDER BY c.live_since DESC LIMIT 1`,
    [id],
  );
  const row = rows[0];
  return row?.definition ? { definition: row.definition, version: row.version } : undefined;
}

/** The live catalog as the engine runs it: the snapshot's model and routing, each sequence under its published version; undefined before one is published. */
export async function liveRunnableCatalog(db: Database): Promise<Catalog | undefined> {
  const live = await liveCatalog(db);
  if (!live) return undefined;
  const { rows } = await db.query<{ version: string; sequence_id: string; definition: SequenceDefinition }>(
    `SELECT v.version, v.sequence_id, v.definition FROM catalog_versions c
     CROSS JOIN LATERAL jsonb_each(c.snapshot->'sequences') AS s(id, definition)
     JOIN sequence_versions v ON v.sequence_id = s.id AND v.definition = s.definition
     WHERE c.version = $1`,
    [live.version],
  );
  const { model, routing, defaultSequence, longTermSequence } = live.snapshot;
  return {
    model,
    versions: Object.fromEntries(rows.map((row) => [row.version, row.definition])),
    latest: Object.fromEntries(rows.map((row) => [row.sequence_id, row.version])),
    routing,
    defaultSequence,
    longTermSequence,
  };
}
