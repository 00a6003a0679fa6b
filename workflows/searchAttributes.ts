// Search attributes of lead workflows, so engineers can list leads with
// `temporal workflow list --query "NurtureStage = 'mql' AND NurtureScore >= 50"`. They must be
// registered on the server (the dev server gets them at start). Every write is a history event
// and a visibility write, so a lead writes only the attributes that changed.
import { defineSearchAttributeKey, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { LeadState } from '../core/engine/state';

const stageAttribute = defineSearchAttributeKey('NurtureStage', 'KEYWORD');
const tierAttribute = defineSearchAttributeKey('NurtureTier', 'KEYWORD');
const scoreAttribute = defineSearchAttributeKey('NurtureScore', 'DOUBLE');
const sequenceAttribute = defineSearchAttributeKey('NurtureSequence', 'KEYWORD');

export const LEAD_SEARCH_ATTRIBUTES = [stageAttribute, tierAttribute, scoreAttribute, sequenceAttribute];

/**
 * NurtureScore holds the total score rounded down to a multiple of this. A page view moves the score
 * by a few points: written to the point, the score alone cost a write on almost every event
 * (bench/workflows). Rounded down, a query on a multiple of it (`NurtureScore >= 50`) still finds
 * exactly the leads at or above it.
 */
export const SCORE_STEP = 5;

export function leadSearchAttributes(state: LeadState, totalScore: number): SearchAttributeUpdatePair[] {
  return [
    { key: stageAttribute, value: state.stage },
    { key: tierAttribute, value: state.cadence.tier },
    { key: scoreAttribute, value: Math.floor(totalScore / SCORE_STEP) * SCORE_STEP },
    { key: sequenceAttribute, value: state.sequence?.id ?? null },
  ];
}

/** The attributes of `next` whose values differ from `written` (all of them when nothing was written yet). */
export function changedSearchAttributes(written: SearchAttributeUpdatePair[] | undefined, next: SearchAttributeUpdatePair[]): SearchAttributeUpdatePair[] {
  if (!written) return next;
  const before = new Map(written.map((pair) => [pair.key.name, pair.value]));
  return next.filter((pair) => before.get(pair.key.name) !== pair.value);
}
