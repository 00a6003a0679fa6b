// The sequences as the marketers' pages and `GET /v1/sequences` show them, from one place so the two
// agree: the live catalog's definitions, each step in words beside what it did (db/sequenceStats).
import type { Pool } from 'pg';
import { sequenceChanges } from '../core/catalogDiff';
import { conditionText, sequenceOutline } from '../core/sequenceOutline';
import { liveCatalog, liveSequence } from '../db/repositories/catalogVersions';
import { sequenceStats, sequenceTotals, type StepStats } from '../db/repositories/sequenceStats';
import { findVersions } from '../db/repositories/sequenceVersions';

/** The live catalog's sequences, in routing order (then the rest), with their leads now and touches sent; empty before a lead worker has published one. */
export async function sequenceList(pool: Pool) {
  const [live, totals] = await Promise.all([liveCatalog(pool), sequenceTotals(pool)]);
  if (!live) return { catalogVersion: null, items: [] };
  const { sequences, routing } = live.snapshot;
  const order = [...routing, ...Object.keys(sequences).filter((id) => !routing.includes(id)).sort()];
  return {
    catalogVersion: live.version,
    liveSince: live.liveSince.toISOString(),
    items: order.map((id) => {
      const definition = sequences[id]!;
      return { id, name: definition.name, description: definition.description ?? null, steps: definition.steps.length, leadsNow: totals[id]?.leadsNow ?? 0, sent: totals[id]?.sent ?? 0 };
    }),
  };
}

/** One sequence: its rules in words, its steps each with what it did, its versions and its conversions; undefined when the live catalog has no such sequence. */
export async function sequenceReport(pool: Pool, id: string) {
  const [live, stats] = await Promise.all([liveSequence(pool, id), sequenceStats(pool, id)]);
  if (!live) return undefined;
  const { definition } = live;
  const none: Omit<StepStats, 'stepId'> = { sent: 0, failed: 0, suppressed: 0, deferred: 0, skipped: 0, reasons: [], opened: 0, clicked: 0, replied: 0, openRate: null, clickRate: null, replyRate: null, leadsHere: 0 };
  const byStep = new Map(stats.steps.map((step) => [step.stepId, step]));
  return {
    id,
    name: definition.name,
    description: definition.description ?? null,
    version: live.version,
    audience: conditionText(definition.audience),
    exitWhen: definition.exitWhen.map(conditionText),
    then: definition.then ?? null,
    migration: definition.migration ?? 'pin',
    leadsNow: stats.leadsNow,
    leadsNotYetTouched: stats.leadsNotYetTouched,
    steps: sequenceOutline(definition).map((step) => ({ ...step, ...none, ...byStep.get(step.id), stepId: step.id })),
    // Steps of older versions that leads still report on.
    otherSteps: stats.steps.filter((step) => !definition.steps.some((s) => s.id === step.stepId)),
    versions: stats.versions.map((version) => ({ ...version, live: version.version === live.version })),
    conversions: stats.conversions,
  };
}

/** What changed from one published version of a sequence to another; undefined when either is not one of its versions. */
export async function sequenceVersionDiff(pool: Pool, id: string, from: string, to: string) {
  const definitions = await findVersions(pool, [from, to]);
  const [before, after] = [definitions[from], definitions[to]];
  if (before?.id !== id || after?.id !== id) return undefined;
  return { from, to, changes: sequenceChanges(before, after).map(({ where, what }) => ({ where, what })) };
}
