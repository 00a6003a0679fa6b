// Published sequence versions: every version of the catalog stays findable, so a lead pinned to one
// keeps running on it after a deploy.
import type { SequenceDefinition } from '../../core/model/sequence';
import type { Database } from '../pool';

export async function publishVersions(db: Database, versions: Record<string, SequenceDefinition>): Promise<void> {
  await db.query(
    `INSERT INTO sequence_versions (version, sequence_id, definition)
     SELECT version, definition->>'id', definition FROM jsonb_each($1::jsonb) AS v(version, definition)
     ON CONFLICT (version) DO NOTHING`,
    [JSON.stringify(versions)],
  );
}

export async function findVersions(db: Database, versions: string[]): Promise<Record<string, SequenceDefinition>> {
  const { rows } = await db.query<{ version: string; definition: SequenceDefinition }>('SELECT version, definition FROM sequence_versions WHERE version = ANY($1)', [versions]);
  return Object.fromEntries(rows.map((row) => [row.version, row.definition]));
}
