import { createLead } from '../../core/engine';
import { defaultCatalog } from '../../sequences/library';
import { leadSearchAttributes, SCORE_STEP } from '../../workflows/searchAttributes';
import { at, makeLead } from '../support/engineDriver';

const { state } = createLead(makeLead({ id: 'lead-1', title: 'VP Finance' }), at('2025-03-03T09:00:00Z'), defaultCatalog({ holdoutPercent: 0 }));
const scoreOf = (total: number, step?: number) => leadSearchAttributes(state, total, step).find((pair) => pair.key.name === 'NurtureScore')?.value;

describe('lead search attributes', () => {
  it('write the score in steps, rounded down, so that a query on a step finds exactly the leads at or above it', () => {
    const scores = [44.9, 45, 49.99, 50, 52.5, 54.9, 55];
    const found = (threshold: number) => scores.filter((total) => (scoreOf(total, SCORE_STEP) as number) >= threshold);
    expect(found(50)).toEqual(scores.filter((total) => total >= 50));
    expect(found(45)).toEqual(scores.filter((total) => total >= 45));
    // Points within a step write the same value: no visibility write for them.
    expect(new Set([50, 51.2, 53, 54.9].map((total) => scoreOf(total, SCORE_STEP)))).toEqual(new Set([50]));
  });

  it('write whole points, rounded, without a step, as runs recorded before lean activations did', () => {
    expect([49.4, 49.5, 52.5].map((total) => scoreOf(total))).toEqual([49, 50, 53]);
  });

  it('carry the stage, tier and sequence as they are', () => {
    const values = Object.fromEntries(leadSearchAttributes(state, 0, SCORE_STEP).map((pair) => [pair.key.name, pair.value]));
    expect(values).toMatchObject({ NurtureStage: state.stage, NurtureTier: state.cadence.tier, NurtureSequence: state.sequence?.id ?? null });
  });
});
