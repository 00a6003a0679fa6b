// Builds the catalog the engine runs on from sequence definitions: each definition is versioned by
// the hash of its canonical JSON, so an edit makes a new version and running leads keep theirs.
import { createHash } from 'node:crypto';
import type { Catalog } from '../core/protocol';
import type { Model } from '../core/model/tuning';
import type { SequenceDefinition } from '../core/model/sequence';

export interface CatalogSource {
  model: Model;
  sequences: SequenceDefinition[];
  routing: string[];
  defaultSequence: string;
  longTermSequence: string;
}

function sequenceVersion(definition: SequenceDefinition): string {
  return `${definition.id}@${createHash('sha256').update(canonicalJson(definition)).digest('hex').slice(0, 12)}`;
}

export function buildCatalog(source: CatalogSource): Catalog {
  const ids = new Set(source.sequences.map((s) => s.id));
  for (const id of [...source.routing, source.defaultSequence, source.longTermSequence]) {
    if (!ids.has(id)) throw new Error(`catalog names sequence ${JSON.stringify(id)}, which is not defined`);
  }
  const versions: Catalog['versions'] = {};
  const latest: Catalog['latest'] = {};
  for (const definition of source.sequences) {
    const version = sequenceVersion(definition);
    versions[version] = definition;
    latest[definition.id] = version;
  }
  return { model: source.model, versions, latest, routing: source.routing, defaultSequence: source.defaultSequence, longTermSequence: source.longTermSequence };
}

/** JSON with object keys sorted, so equal definitions hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
