// What the lead workflow's `state` query answers: the lead as the engine sees it at `now`.
import { scoresOf } from '../core/engine';
import type { LeadState } from '../core/engine/state';
import { iso } from '../core/model/duration';
import type { Catalog } from '../core/protocol';
import type { LeadView } from './contract';

export function leadView(state: LeadState, catalog: Catalog, wakeAt: number | undefined, now: number): LeadView {
  const position = state.sequence;
  const definition = position ? catalog.versions[position.version] : undefined;
  return {
    leadId: state.leadId,
    stage: state.stage,
    scores: scoresOf(state, now, catalog.model),
    tier: state.cadence.tier,
    multiplier: state.cadence.multiplier,
    ...(position
      ? { sequence: { id: position.id, version: position.version, step: definition?.steps[position.stepIndex]?.id, stepIndex: position.stepIndex, enrolledAt: iso(position.enrolledAt) } }
      : {}),
    ...(wakeAt !== undefined && position ? { nextTouchAt: iso(wakeAt) } : {}),
    consent: state.consent,
    consentReasons: state.consentReasons,
    optedDown: state.optedDown,
    holdout: state.holdout,
    paused: state.paused,
    ...(state.handoffs.open ? { openHandoff: { id: state.handoffs.open.id, openedAt: iso(state.handoffs.open.openedAt) } } : {}),
    ...(state.recontactAt !== undefined ? { recontactAt: iso(state.recontactAt) } : {}),
    counters: state.counters,
    history: state.history.map((h) => ({ ...h, at: iso(h.at) })),
  };
}
