// The production workflows with one deliberate interpreter change that is NOT guarded with
// patched(): the lead waits a second before it starts. Replay must reject it for every lead history.
import { sleep } from '@temporalio/workflow';
import type { LeadWorkflowInput } from '../../../workflows/contract';
import { leadWorkflow as productionLeadWorkflow } from '../../../workflows/lead';

export { salesHandoffWorkflow } from '../../../workflows/handoff';

export async function leadWorkflow(input: LeadWorkflowInput): Promise<void> {
  // A new timer where the recorded histories scheduled the catalog load: a new command, unguarded.
  await sleep('1 second');
  return productionLeadWorkflow(input);
}
