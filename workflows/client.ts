// What callers (API, CLI, importers) use to reach a lead's workflow: the first event or the lead's
// creation starts it, later ones signal the running one. Never imported by workflow code.
import type { Client } from '@temporalio/client';
import type { LeadEvent } from '../core/events';
import type { Lead } from '../core/lead';
import { eventSignal, LEAD_TASK_QUEUE, leadWorkflowId, profileUpdatedSignal } from './contract';
import { leadWorkflow, type LeadWorkflowOptions } from './lead';

export interface LeadStartOptions {
  taskQueue?: string;
  options?: LeadWorkflowOptions;
}

/** Delivers an event, starting the lead's workflow if this is the first word of the lead; returns the run. */
export async function sendLeadEvent(client: Client, event: LeadEvent, start: LeadStartOptions = {}): Promise<string> {
  const handle = await client.workflow.signalWithStart(leadWorkflow, {
    workflowId: leadWorkflowId(event.leadId),
    taskQueue: start.taskQueue ?? LEAD_TASK_QUEUE,
    args: [{ lead: { id: event.leadId }, options: start.options }],
    signal: eventSignal,
    signalArgs: [event],
  });
  return handle.signaledRunId;
}

/** Creates a lead's workflow with its profile, or updates the profile of the running one; returns the run. */
export async function upsertLead(client: Client, lead: Lead, start: LeadStartOptions = {}): Promise<string> {
  const { id, ...profile } = lead;
  const handle = await client.workflow.signalWithStart(leadWorkflow, {
    workflowId: leadWorkflowId(id),
    taskQueue: start.taskQueue ?? LEAD_TASK_QUEUE,
    args: [{ lead, options: start.options }],
    signal: profileUpdatedSignal,
    signalArgs: [profile],
  });
  return handle.signaledRunId;
}
