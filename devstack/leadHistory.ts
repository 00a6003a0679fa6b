// What a lead workflow's history says, read from the outside: the events it was signalled and the
// patches it took. For the tests and benchmarks that check a run by its history.
import type { Client } from '@temporalio/client';
import type { LeadEvent } from '../core/model/events';
import { leadWorkflowId } from '../workflows/contract';

/** The events each signal to a lead's workflow carried, signal by signal, in the order its history took them. */
export async function signalledEvents(temporal: Client, leadId: string): Promise<(LeadEvent & { properties: { url: string } })[][]> {
  const history = await temporal.workflow.getHandle(leadWorkflowId(leadId)).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const payload = e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
    return payload?.data ? [[JSON.parse(Buffer.from(payload.data).toString('utf8'))].flat()] : [];
  });
}

/** The page views a lead's workflow was signalled, each event once, in the order it took them. */
export async function signalledPages(temporal: Client, leadId: string): Promise<string[]> {
  const events = (await signalledEvents(temporal, leadId)).flat().filter((event) => event?.type === 'page_view');
  return events.filter((event, index) => events.findIndex((other) => other.eventId === event.eventId) === index).map((event) => event.properties.url);
}

/** The patches a lead's workflow took, by their markers in its history (none while it has no history). */
export async function patchesOf(temporal: Client, leadId: string): Promise<string[]> {
  const history = await temporal.workflow.getHandle(leadWorkflowId(leadId)).fetchHistory().catch(() => undefined);
  return (history?.events ?? []).flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
  });
}
