// What the engine decided for a lead, written in one transaction: the lead's current snapshot, its
// stage changes, consent changes (as consent facts), and the audit rows of sequence moves, deferred,
// skipped and canceled touches, and A/B exposures of waits.
import type { Decision, LeadSnapshot } from '../../core/protocol';
import type { Database } from '../pool';
import { recordActivity, recordStageChange } from './audit';
import { upsertLeadSnapshot } from './leads';
import { recordConsent } from './consent';

/** Writes the decisions; returns the stage changes that were new (a retry finds them written). */
export async function recordDecisions(db: Database, leadId: string, decisions: Decision[], snapshot: LeadSnapshot): Promise<Extract<Decision, { type: 'changeStage' }>[]> {
  await upsertLeadSnapshot(db, leadId, snapshot);
  const newStageChanges: Extract<Decision, { type: 'changeStage' }>[] = [];
  for (const decision of decisions) {
    if (decision.type === 'changeStage') {
      if (await recordStageChange(db, leadId, decision)) newStageChanges.push(decision);
    } else {
      await recordDecision(db, leadId, decision);
    }
  }
  return newStageChanges;
}

async function recordDecision(db: Database, leadId: string, decision: Exclude<Decision, { type: 'changeStage' }>): Promise<void> {
  switch (decision.type) {
    case 'consentChanged':
      // A fact that came in through the API or a webhook was recorded there; the engine's own (a bounce, a failed send) here.
      if (!decision.recorded) await recordConsent(db, [{ leadId, channel: decision.channel, granted: decision.granted, source: decision.reason, evidence: { recordedBy: 'engine' }, at: decision.at }]);
      return recordActivity(db, leadId, decision.type, decision.at, { channel: decision.channel, granted: decision.granted, reason: decision.reason });
    case 'enterSequence':
    case 'exitSequence':
      return recordActivity(db, leadId, decision.type, decision.at, { sequenceId: decision.sequenceId, version: decision.version, reason: decision.reason });
    case 'touchDeferred':
      return recordActivity(db, leadId, decision.type, decision.at, {
        sequenceId: decision.sequenceId,
        stepId: decision.stepId,
        channel: decision.channel,
        until: new Date(decision.until).toISOString(),
        reasons: decision.reasons,
      });
    case 'touchSkipped':
    case 'touchCanceled':
      return recordActivity(db, leadId, decision.type, decision.at, { sequenceId: decision.sequenceId, stepId: decision.stepId, channel: decision.channel, reason: decision.reason });
    case 'exposed':
      return recordActivity(db, leadId, decision.type, decision.at, { sequenceId: decision.sequenceId, version: decision.version, stepId: decision.stepId, experimentId: decision.experiment.id, variant: decision.experiment.variant });
  }
}
