// One lead as `GET /v1/leads/:id` and the marketers' lead page show it: profile, stage history,
// consent facts, latest sends, the open handoff, and the live state from its workflow.
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { stageHistory } from '../db/repositories/audit';
import { consentHistory } from '../db/repositories/consent';
import { openHandoffOfLead } from '../db/repositories/handoffs';
import { findLead, profileOf } from '../db/repositories/leads';
import { recentSends } from '../db/repositories/sends';
import { leadWorkflowId, stateQuery } from '../workflows/contract';
import { handoffSummary } from './routes/handoffs';

/** Undefined when there is no such lead (or it was erased). */
export async function leadDetail(pool: Pool, client: Client, id: string) {
  const row = await findLead(pool, id);
  if (!row) return undefined;
  const [stages, consent, sends, handoff, live] = await Promise.all([
    stageHistory(pool, id),
    consentHistory(pool, id),
    recentSends(pool, id),
    openHandoffOfLead(pool, id),
    // The stored facts answer even when the lead's worker does not, within the deadline.
    client.withDeadline(Date.now() + 3_000, () => client.workflow.getHandle(leadWorkflowId(id)).query(stateQuery)).catch(() => undefined),
  ]);
  return {
    id,
    profile: profileOf(row),
    stageHistory: stages,
    // Every consent fact, oldest first, with its source and time; the latest on a channel stands.
    consent,
    recentSends: sends,
    openHandoff: handoff ? handoffSummary(handoff) : null,
    // Live from the workflow: scores with breakdown, tier, sequence and step, next touch, consent.
    state: live ?? null,
  };
}
