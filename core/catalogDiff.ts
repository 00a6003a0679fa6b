// `nurture diff`: what a catalog changes against the live one, step by step. A catalog version is
// its snapshot: the model, each sequence's latest definition, the routing, and a digest of every
// template part; two snapshots compare field by field, and a changed template is named by the
// steps that send it.
import { canonicalJson, fingerprint, sameJson } from './model/hash';
import type { Catalog } from './protocol';
import type { Model } from './model/tuning';
import type { SequenceDefinition } from './model/sequence';

export interface CatalogSnapshot {
  model: Model;
  /** The latest definition of each sequence, by id. */
  sequences: Record<string, SequenceDefinition>;
  routing: string[];
  defaultSequence: string;
  longTermSequence: string;
  /** A digest of each part of each template, by template id and part (`subject`, `html`, …). */
  templates: Record<string, Record<string, string>>;
}

export interface CatalogChange {
  /** `model`, `routing`, a sequence id, or `<sequence>/<step>`. */
  where: string;
  what: string;
  /** The sequence whose running leads the change reaches, when it is one sequence's. */
  sequenceId?: string;
}

/** Every difference from `live` to `candidate`, in a stable order: the model, routing, then sequence by sequence. */
export function diffCatalogs(live: CatalogSnapshot, candidate: CatalogSnapshot): CatalogChange[] {
  const changes: CatalogChange[] = valueChanges(live.model, candidate.model).map(([path, what]) => ({ where: 'model', what: `${path}: ${what}` }));
  for (const field of ['routing', 'defaultSequence', 'longTermSequence'] as const) {
    if (!sameJson(live[field], candidate[field])) changes.push({ where: 'routing', what: `${field}: ${show(live[field])} → ${show(candidate[field])}` });
  }
  for (const id of sortedKeys(live.sequences, candidate.sequences)) {
    const before = live.sequences[id];
    const after = candidate.sequences[id];
    if (!after) changes.push({ where: id, what: 'sequence removed', sequenceId: id });
    else if (!before) changes.push({ where: id, what: `sequence added (${after.steps.length} steps)`, sequenceId: id });
    else changes.push(...sequenceChanges(before, after, live.templates, candidate.templates));
  }
  return changes;
}

/** What changes from one version of a sequence to another (templates compared by name only, or by digest when given). */
export function sequenceChanges(before: SequenceDefinition, after: SequenceDefinition, liveTemplates: CatalogSnapshot['templates'] = {}, candidateTemplates: CatalogSnapshot['templates'] = {}): CatalogChange[] {
  const sequenceId = after.id;
  const { steps: stepsBefore, ...restBefore } = before;
  const { steps: stepsAfter, ...restAfter } = after;
  const changes: CatalogChange[] = valueChanges(restBefore, restAfter).map(([path, what]) => ({ where: sequenceId, what: `${path}: ${what}`, sequenceId }));
  const beforeById = new Map(stepsBefore.map((step) => [step.id, step]));
  const afterIds = stepsAfter.map((step) => step.id);
  if (!sameJson(stepsBefore.map((step) => step.id).filter((id) => afterIds.includes(id)), afterIds.filter((id) => beforeById.has(id)))) {
    changes.push({ where: sequenceId, what: `steps reordered: ${afterIds.join(', ')}`, sequenceId });
  }
  for (const step of stepsAfter) {
    const where = `${sequenceId}/${step.id}`;
    const old = beforeById.get(step.id);
    if (!old) {
      changes.push({ where, what: `step added (${step.kind})`, sequenceId });
      continue;
    }
    for (const [path, what] of valueChanges(old, step)) changes.push({ where, what: `${path}: ${what}`, sequenceId });
    const template = 'template' in step ? step.template : undefined;
    if (template && 'template' in old && old.template === template) {
      const parts = sortedKeys(liveTemplates[template] ?? {}, candidateTemplates[template] ?? {}).filter((part) => liveTemplates[template]?.[part] !== candidateTemplates[template]?.[part]);
      if (parts.length) changes.push({ where, what: `template ${template} changed: ${parts.join(', ')}`, sequenceId });
    }
  }
  for (const step of stepsBefore) if (!afterIds.includes(step.id)) changes.push({ where: `${sequenceId}/${step.id}`, what: 'step removed', sequenceId });
  return changes;
}

/** The leaves that differ between two JSON values, as `[dotted path, "before → after"]`. */
function valueChanges(before: unknown, after: unknown, path = ''): [string, string][] {
  if (sameJson(before, after)) return [];
  if (isRecord(before) && isRecord(after)) {
    return sortedKeys(before, after).flatMap((key) => valueChanges(before[key], after[key], path ? `${path}.${key}` : key));
  }
  return [[path || '(whole)', `${show(before)} → ${show(after)}`]];
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const show = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));
// `sort()` without a comparator orders by code unit: the same on every machine, whatever its locale.
const sortedKeys = (...records: object[]) => [...new Set(records.flatMap((record) => Object.keys(record)))].sort();

/** A short fingerprint of what a running lead reads from its catalog: the model, the latest version of each sequence, the routing. */
export function catalogFingerprint(catalog: Catalog): string {
  const { model, latest, routing, defaultSequence, longTermSequence } = catalog;
  return fingerprint(canonicalJson({ model, latest, routing, defaultSequence, longTermSequence })).toString(36);
}
