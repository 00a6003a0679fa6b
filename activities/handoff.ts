// The sales-handoff workflow's activities: rep assignment, the task with the lead's context,
// escalation and closing, over the handoffs and reps repositories, counted and logged once each.
import type { Pool } from 'pg';
import { recordActivity } from '../db/repositories/audit';
import { closeHandoff, openHandoff, reassignHandoff } from '../db/repositories/handoffs';
import { assignRep } from '../db/repositories/reps';
import { countHandoff, observeSpeedToLead } from './metrics';
import type { HandoffActivities } from './types';

export function createHandoffActivities({ pool }: { pool: Pool }): HandoffActivities {
  return {
    async assignRep({ lead, exclude }) {
      const owner = await assignRep(pool, lead, exclude);
      return owner ? { owner } : {};
    },

    async openHandoffTask({ handoff, owner, slaDueAt }) {
      if (!(await openHandoff(pool, handoff, owner, slaDueAt))) return;
      // The lead's latest event: the one that qualified it, when an event triggered the handoff.
      const speedToLead = (Date.now() - (handoff.path.at(-1)?.at ?? handoff.at)) / 1000;
      observeSpeedToLead(speedToLead);
      countHandoff('opened', { handoffId: handoff.id, leadId: handoff.leadId, owner: owner ?? null, reason: handoff.reason, speedToLead });
    },

    async notifyRep({ handoffId, leadId, owner, escalation, notifyManager }) {
      // The notice itself goes out through the channels; here it is recorded for the task's history.
      await recordActivity(pool, leadId, 'handoffNotified', Date.now(), { handoffId, owner: owner ?? null, escalation, notifyManager }, `${handoffId}/notified/${escalation}`);
    },

    async reassignHandoffTask({ handoffId, owner, escalations, slaDueAt }) {
      if (await reassignHandoff(pool, handoffId, owner, escalations, slaDueAt)) countHandoff('escalated', { handoffId, owner: owner ?? null, escalations });
    },

    async closeHandoffTask({ handoffId, status, reasonCode, note }) {
      if (await closeHandoff(pool, handoffId, status, reasonCode, note)) countHandoff(status, { handoffId, ...(reasonCode ? { reasonCode } : {}) });
    },
  };
}
