// Builds the catalog the engine runs on from sequence definitions: each definition is versioned by
// the hash of its canonical JSON, so an edit makes a new version and running leads keep theirs.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/model/hash';
import type { CatalogSnapshot } from '../core/catalogDiff';
import type { Catalog } from '../core/protocol';
import type { Model } from '../core/model/tuning';
import type { SequenceDefinition } from '../core/model/sequence';
import { applyPromotions } from '../core/model/experiments';

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

/** The catalog as a version to record and compare (`nurture diff`): each template part by the digest of its text. */
export function catalogSnapshot(catalog: Catalog, templates: Record<string, Partial<Record<string, string>>>): CatalogSnapshot {
  const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  return {
    model: catalog.model,
    sequences: Object.fromEntries(Object.entries(catalog.latest).map(([id, version]) => [id, catalog.versions[version]!])),
    routing: catalog.routing,
    defaultSequence: catalog.defaultSequence,
    longTermSequence: catalog.longTermSequence,
    templates: Object.fromEntries(Object.entries(templates).map(([id, parts]) => [id, Object.fromEntries(Object.entries(parts).map(([part, text]) => [part, digest(text ?? '')]))])),
  };
}

/** A snapshot's version: `catalog@` and the hash of its canonical JSON. */
export function snapshotVersion(snapshot: CatalogSnapshot): string {
  return `catalog@${createHash('sha256').update(canonicalJson(snapshot)).digest('hex').slice(0, 12)}`;
}

/**
 * The catalog with each of `promotions` made its step: a new version of each sequence it changes,
 * the latest now; every other sequence, and every version, kept as it was for the leads that run one.
 */
export function withPromotions(catalog: Catalog, promotions: Readonly<Record<string, string>>): Catalog {
  const versions = { ...catalog.versions };
  const latest = { ...catalog.latest };
  for (const [id, version] of Object.entries(catalog.latest)) {
    const definition = catalog.versions[version]!;
    const [promoted] = applyPromotions([definition], promotions);
    if (promoted!.steps.every((step, index) => step === definition.steps[index])) continue;
    latest[id] = sequenceVersion(promoted!);
    versions[latest[id]] = promoted!;
  }
  return { ...catalog, versions, latest };
}
