// What callers (the API's routes, its relay, the CSV importer) use to reach a lead's workflow: the
// first event or the lead's creation starts it, later ones signal the running one.
import type { Client } from '@temporalio/client';
import { minimiseEvent, type LeadEvent } from '../core/model/events';
import { arrivalOf, traitsOf, type Lead, type LeadTraits } from '../core/model/lead';
import { placeOf } from '../channels/place';
import {
  enrollSchema,
  enrollUpdate,
  eventsSignal,
  exitSchema,
  exitUpdate,
  LEAD_TASK_QUEUE,
  leadWorkflowId,
  outcomeSchema,
  outcomeUpdate,
  pauseUpdate,
  profileUpdatedSignal,
  resumeUpdate,
  type LeadWorkflowOptions,
} from '../workflows/contract';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Reply } from '../core/protocol';
import { findLead } from '../db/repositories/leads';
import type { leadWorkflow } from '../workflows/lead';

export interface LeadStartOptions {
  taskQueue?: string;
  options?: LeadWorkflowOptions;
}

/**
 * Delivers one lead's events in order in one signal, starting the lead's workflow if this is the
 * first word of the lead; returns the run.
 */
export async function sendLeadEvents(client: Client, leadId: string, events: LeadEvent[], start: LeadStartOptions = {}): Promise<string> {
  const stray = events.find((event) => event.leadId !== leadId);
  if (stray) throw new TypeError(`event ${stray.eventId} belongs to lead ${stray.leadId}, not ${leadId}`);
  const handle = await client.workflow.signalWithStart<typeof leadWorkflow, [LeadEvent[]]>('leadWorkflow', {
    workflowId: leadWorkflowId(leadId),
    taskQueue: start.taskQueue ?? LEAD_TASK_QUEUE,
    args: [{ lead: { id: leadId }, options: start.options }],
    signal: eventsSignal,
    signalArgs: [events.map(minimiseEvent)],
  });
  return handle.signaledRunId;
}

/** Creates a lead's workflow with its profile, or updates the profile of the running one; returns the run. */
export async function upsertLead(client: Client, lead: Lead, start: LeadStartOptions = {}): Promise<string> {
  // Traits only: the lead's identifiers stay in PostgreSQL, out of every workflow history. Where
  // the lead is (zones, region) is inferred here, from the number that does not go in.
  const place = placeOf(lead);
  const handle = await client.workflow.signalWithStart<typeof leadWorkflow, [LeadTraits]>('leadWorkflow', {
    workflowId: leadWorkflowId(lead.id),
    taskQueue: start.taskQueue ?? LEAD_TASK_QUEUE,
    args: [{ lead: arrivalOf(lead, place), options: start.options }],
    signal: profileUpdatedSignal,
    signalArgs: [traitsOf({ ...lead, ...place })],
  });
  return handle.signaledRunId;
}

/** What the CRM says became of a lead, as its workflow takes it; undefined when there is no such lead. */
export async function recordOutcome(pool: Pool, client: Client, leadId: string, outcome: z.infer<typeof outcomeSchema>): Promise<Reply | undefined> {
  if (!(await findLead(pool, leadId))) return undefined;
  return client.workflow.getHandle(leadWorkflowId(leadId)).executeUpdate(outcomeUpdate, { args: [outcome] });
}

/** What marketers and operators may do to a lead's run, and what each takes. */
export const CONTROL_BODIES = { pause: z.object({}), resume: z.object({}), enrol: enrollSchema, exit: exitSchema } as const;
export type LeadControl = keyof typeof CONTROL_BODIES;

/** Pauses, resumes, enrols or exits the lead's run and answers as the run does; undefined for an unknown lead. */
export async function controlLead<A extends LeadControl>(pool: Pool, client: Client, leadId: string, action: A, body: z.infer<(typeof CONTROL_BODIES)[A]>): Promise<Reply | undefined> {
  if (!(await findLead(pool, leadId))) return undefined;
  const handle = client.workflow.getHandle(leadWorkflowId(leadId));
  switch (action) {
    case 'pause':
      return handle.executeUpdate(pauseUpdate);
    case 'resume':
      return handle.executeUpdate(resumeUpdate);
    case 'enrol':
      return handle.executeUpdate(enrollUpdate, { args: [body as z.infer<typeof enrollSchema>] });
    default:
      return handle.executeUpdate(exitUpdate, { args: [body as z.infer<typeof exitSchema>] });
  }
}
