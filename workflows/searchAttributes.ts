// Search attributes of lead workflows, so engineers can list leads with
// `temporal workflow list --query "NurtureStage = 'mql' AND NurtureScore >= 50"`.
// They must be registered on the server (the dev server gets them at start).
import { defineSearchAttributeKey, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { LeadState } from '../core/engine/state';

export const stageAttribute = defineSearchAttributeKey('NurtureStage', 'KEYWORD');
export const tierAttribute = defineSearchAttributeKey('NurtureTier', 'KEYWORD');
export const scoreAttribute = defineSearchAttributeKey('NurtureScore', 'DOUBLE');
export const sequenceAttribute = defineSearchAttributeKey('NurtureSequence', 'KEYWORD');

export const LEAD_SEARCH_ATTRIBUTES = [stageAttribute, tierAttribute, scoreAttribute, sequenceAttribute];

/**
 * NurtureScore holds the total score rounded down to a multiple of this. Each write is a history
 * event and a visibility write, and a page view moves the score by a few points: written to the
 * point, the score alone cost a write on almost every event (bench/workflows). Rounded down, a
 * query on a multiple of it (`NurtureScore >= 50`) still finds exactly the leads at or above it.
 */
export const SCORE_STEP = 5;

/** `scoreStep` unset: whole points, rounded, as runs recorded before lean activations wrote it. */
export function leadSearchAttributes(state: LeadState, totalScore: number, scoreStep?: number): SearchAttributeUpdatePair[] {
  return [
    { key: stageAttribute, value: state.stage },
    { key: tierAttribute, value: state.cadence.tier },
    { key: scoreAttribute, value: scoreStep ? Math.floor(totalScore / scoreStep) * scoreStep : Math.round(totalScore) },
    { key: sequenceAttribute, value: state.sequence?.id ?? null },
  ];
}
