import { createLead, step } from '../../core/engine';
import { defaultCatalog } from '../../sequences/library';
import { changedSearchAttributes, leadSearchAttributes, SCORE_STEP } from '../../workflows/searchAttributes';
import { at, makeLead } from '../support/engineDriver';

const catalog = defaultCatalog({ holdoutPercent: 0 });
const { state } = createLead(makeLead({ id: 'lead-1', title: 'VP Finance' }), at('2025-03-03T09:00:00Z'), catalog);
const scoreOf = (total: number) => leadSearchAttributes(state, total).find((pair) => pair.key.name === 'NurtureScore')?.value;
const names = (pairs: ReturnType<typeof leadSearchAttributes>) => pairs.map((pair) => pair.key.name);

describe('lead search attributes', () => {
  it('write the score in steps, rounded down, so that a query on a step finds exactly the leads at or above it', () => {
    const scores = [44.9, 45, 49.99, 50, 52.5, 54.9, 55];
    const found = (threshold: number) => scores.filter((total) => (scoreOf(total) as number) >= threshold);
    expect(found(50)).toEqual(scores.filter((total) => total >= 50));
    expect(found(45)).toEqual(scores.filter((total) => total >= 45));
    // Points within a step write the same value: no visibility write for them.
    expect(new Set([50, 51.2, 53, 54.9].map((total) => scoreOf(total)))).toEqual(new Set([50]));
    expect(SCORE_STEP).toBe(5);
  });

  it('carry the stage, tier and sequence as they are', () => {
    const values = Object.fromEntries(leadSearchAttributes(state, 0).map((pair) => [pair.key.name, pair.value]));
    expect(values).toMatchObject({ NurtureStage: state.stage, NurtureTier: state.cadence.tier, NurtureSequence: state.sequence?.id ?? null });
  });

  it('are all written the first time, then only those that changed', () => {
    const first = leadSearchAttributes(state, 12);
    expect(names(changedSearchAttributes(undefined, first))).toEqual(['NurtureStage', 'NurtureTier', 'NurtureScore', 'NurtureSequence']);
    expect(changedSearchAttributes(first, leadSearchAttributes(state, 14))).toEqual([]);
    expect(names(changedSearchAttributes(first, leadSearchAttributes(state, 15)))).toEqual(['NurtureScore']);
    const exited = step(state, { kind: 'exit', reason: 'test' }, at('2025-03-03T10:00:00Z'), catalog).state;
    expect(changedSearchAttributes(first, leadSearchAttributes(exited, 12))).toEqual([{ key: expect.objectContaining({ name: 'NurtureSequence' }), value: null }]);
  });
});
