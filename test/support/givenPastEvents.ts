// A backtest thread's events handed to it whole, by lead id (test/unit/backtest: ThreadedTally
// without a database): the thread's source reads them from its options.
import type { PastEventSource } from '../../api/pastEvents';
import type { LeadEvent } from '../../core/model/events';

export function openPastEventSource({ eventsByLead }: { eventsByLead: Record<string, LeadEvent[]> }): PastEventSource {
  return { pastLeads: async (arrived) => arrived.map((past) => ({ ...past, events: eventsByLead[past.lead.id] ?? [] })) };
}
