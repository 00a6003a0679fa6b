// Search attributes of lead workflows, so engineers can list leads with
// `temporal workflow list --query "NurtureStage = 'mql' AND NurtureScore > 50"`.
// They must be registered on the server (the dev server gets them at start).
import { defineSearchAttributeKey, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { LeadState } from '../core/state';

export const stageAttribute = defineSearchAttributeKey('NurtureStage', 'KEYWORD');
export const tierAttribute = defineSearchAttributeKey('NurtureTier', 'KEYWORD');
export const scoreAttribute = defineSearchAttributeKey('NurtureScore', 'DOUBLE');
export const sequenceAttribute = defineSearchAttributeKey('NurtureSequence', 'KEYWORD');

export const LEAD_SEARCH_ATTRIBUTES = [stageAttribute, tierAttribute, scoreAttribute, sequenceAttribute];

export function leadSearchAttributes(state: LeadState, totalScore: number): SearchAttributeUpdatePair[] {
  return [
    { key: stageAttribute, value: state.stage },
    { key: tierAttribute, value: state.cadence.tier },
    // Whole points: the score moves by fractions as intent decays, which is no reason to write.
    { key: scoreAttribute, value: Math.round(totalScore) },
    { key: sequenceAttribute, value: state.sequence?.id ?? null },
  ];
}
