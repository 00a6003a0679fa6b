// The same interpreter change as ./unguarded, guarded with patched(): new runs take the new path
// (and record a marker), runs recorded before it replay the old one. Replay must accept every history.
import { patched, sleep } from '@temporalio/workflow';
import type { LeadWorkflowInput } from '../../../workflows/contract';
import { leadWorkflow as productionLeadWorkflow } from '../../../workflows/lead';

export { salesHandoffWorkflow } from '../../../workflows/handoff';

export async function leadWorkflow(input: LeadWorkflowInput): Promise<void> {
  if (patched('replay-proof')) await sleep('1 second');
  return productionLeadWorkflow(input);
}
