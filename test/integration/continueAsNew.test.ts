import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { LeadEvent } from '../../core/model/events';
import type { Lead } from '../../core/model/lead';
import { defaultCatalog } from '../../sequences/library';
import { eventSignal } from '../../workflows/contract';
import { eventually, historyText, leadState, withWorkers } from '../support/harness';

// 5,000 signals are a throughput test: they run on the real dev server, which takes them in
// seconds, where the time-skipping test server needs minutes.
let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  nativeConnection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  client = new Client({ connection });
});

afterAll(async () => {
  await nativeConnection?.close();
  await connection?.close();
});

/** History length of every run of a workflow, first to current, following continue-as-new; none may hold the lead's address. */
async function runLengths(handle: WorkflowHandleWithFirstExecutionRunId): Promise<number[]> {
  const lengths: number[] = [];
  let runId: string | undefined = handle.firstExecutionRunId;
  while (runId) {
    const history: { events?: { workflowExecutionContinuedAsNewEventAttributes?: { newExecutionRunId?: string | null } | null }[] | null } = await client.workflow
      .getHandle(handle.workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    lengths.push(events.length);
    // No run carries the lead's identifiers: the state handed over holds its traits only.
    expect(historyText(history)).not.toContain('kim@example.org');
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return lengths;
}

describe('a long-lived lead', () => {
  it('keeps every run under the history limit through 5,000 events, losing none across continue-as-new', async () => {
    const lead: Lead = { id: `lead-${randomUUID()}`, email: 'kim@example.org', title: 'Analyst' };
    const maxHistoryEvents = 2_000;
    await withWorkers({ client, nativeConnection }, { catalog: defaultCatalog({ holdoutPercent: 0 }) }, async ({ startLead }) => {
      const handle = await startLead({ lead, options: { maxHistoryEvents } });
      const at = new Date().toISOString();
      const events: LeadEvent[] = Array.from({ length: 5_000 }, (_, i) => ({
        eventId: `evt-${i}`,
        leadId: lead.id,
        type: 'page_view',
        occurredAt: at,
        properties: { url: `https://relay.example/docs/${i % 40}`, category: 'docs' },
      }));
      // One signal in flight at a time, as an API relaying a lead's events in order does; many land
      // while a run is handing over to the next.
      await leadState(handle);
      for (const event of events) await handle.signal(eventSignal, event);
      // The same ids again are recognised as duplicates, also by a later run.
      await Promise.all(events.slice(-10).map((event) => handle.signal(eventSignal, event)));
      // The runs fold their inbox between activity calls; wait until the last event is in.
      const view = await eventually(async () => {
        const current = await leadState(handle);
        return (current.counters.events ?? 0) + (current.counters.duplicates ?? 0) >= 5_010 ? current : undefined;
      }, 60_000);
      expect(view.counters.events).toBe(5_000);
      expect(view.counters.duplicates).toBe(10);
      expect(view.sequence?.id).toBeDefined();
      const lengths = await runLengths(handle);
      expect(lengths.length).toBeGreaterThan(2);
      for (const length of lengths) expect(length).toBeLessThan(maxHistoryEvents);
    });
  }, 180_000);

});
