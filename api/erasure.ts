// Erasure that sticks: a lead's personal data goes from PostgreSQL in one transaction, its workflow
// ends and every execution of it (each run, each handoff child) is deleted from Temporal, and a
// keyed hash of each identifier refuses the same person later, under the same id or any other.
import { createHmac } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { normalisePhone } from '../channels/sms';
import type { Lead } from '../core/model/lead';
import { listHandoffIds } from '../db/repositories/handoffs';
import { eraseLead, erasedIdentifiers, erasedLeadIds, findLeadIdentity, type Tombstone } from '../db/repositories/leads';
import { leadWorkflowId } from '../workflows/contract';
import type { ProblemDetail } from './plugins/errors';

/** The tombstones of a lead's identifiers: its email address and phone number, as keyed hashes. */
function tombstonesOf(lead: Pick<Lead, 'email' | 'phone' | 'country'>, secret: string): Tombstone[] {
  const hash = (kind: Tombstone['kind'], value: string) => ({ kind, hash: createHmac('sha256', secret).update(`${kind}:${value}`).digest('hex') });
  const phone = lead.phone ? (normalisePhone(lead.phone, lead.country) ?? lead.phone.replace(/[^\d+]/g, '')) : undefined;
  return [...(lead.email ? [hash('email', lead.email.trim().toLowerCase())] : []), ...(phone ? [hash('phone', phone)] : [])];
}

/** What in a lead being added was erased before, as problems naming its field (`body.email`). */
export async function erasedIdentifiersOf(pool: Pool, lead: Pick<Lead, 'email' | 'phone' | 'country'>, secret: string, where = 'body'): Promise<ProblemDetail[]> {
  const erased = await erasedIdentifiers(pool, tombstonesOf(lead, secret));
  return erased.map(({ kind }) => ({ path: `${where}.${kind}`, message: `this ${kind === 'email' ? 'address' : 'number'} belongs to a person erased on request; it cannot be added again` }));
}

/**
 * Erases the lead everywhere: false when there is no such lead. Erasing an erased lead again deletes
 * its executions again, so a retry after Temporal was unreachable finishes the job.
 */
export async function eraseEverywhere(pool: Pool, client: Client, leadId: string, secret: string): Promise<boolean> {
  const lead = await findLeadIdentity(pool, leadId);
  if (lead) {
    const addresses = [...(lead.email ? [{ channel: 'email' as const, address: lead.email }] : []), ...(lead.phone ? [{ channel: 'sms' as const, address: normalisePhone(lead.phone, lead.country) ?? lead.phone }] : [])];
    await eraseLead(pool, leadId, tombstonesOf(lead, secret), addresses);
  } else if (!(await erasedLeadIds(pool, [leadId])).has(leadId)) {
    return false;
  }
  await deleteExecutions(client, [leadWorkflowId(leadId), ...(await listHandoffIds(pool, leadId))]);
  return true;
}

/** Every execution of these workflows, each run of each, running or closed: deleted (a running one is terminated first). */
async function deleteExecutions(client: Client, workflowIds: string[]): Promise<void> {
  for (const workflowId of workflowIds) {
    const runs: string[] = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId = ${JSON.stringify(workflowId)}` })) runs.push(execution.runId);
    await Promise.all(
      runs.map((runId) =>
        client.workflowService
          .deleteWorkflowExecution({ namespace: client.options.namespace, workflowExecution: { workflowId, runId } })
          .catch((err: { code?: number }) => {
            // Gone already: deleted by an earlier try.
            if (err.code !== 5) throw err;
          }),
      ),
    );
  }
}
