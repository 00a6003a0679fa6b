import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '../../workers/history';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../replay/histories/handoff-accepted.experiments.json'), 'utf8')) as { events: unknown[] };

/** The history as the Temporal CLI's shorthand writes it: each JSON payload with no other metadata (a search attribute has its type) as its value. */
function shorthand(value: unknown, key = ''): unknown {
  const decoded = (payload: { metadata: { encoding: string }; data?: string }) =>
    Object.keys(payload.metadata).length === 1 && Buffer.from(payload.metadata.encoding, 'base64').toString() === 'json/plain' ? JSON.parse(Buffer.from(payload.data!, 'base64').toString()) : payload;
  if (Array.isArray(value)) return value.map((item) => (key === 'payloads' ? decoded(item) : shorthand(item)));
  if (!value || typeof value !== 'object') return value;
  if (key === 'fields' || key === 'indexedFields') return Object.fromEntries(Object.entries(value).map(([name, payload]) => [name, decoded(payload)]));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorthand(v, k)]));
}

describe('histories as JSON', () => {
  it("reads the CLI's shorthand payloads as the full ones", () => {
    const short = shorthand(fixture) as { events: unknown[] };
    // The shorthand holds decoded values: the lead's input is readable as it is.
    expect(JSON.stringify(short.events[0])).toContain('"lead":{"id":"replay-handoff-accepted"');
    expect(historyFromJSON(short)).toEqual(historyFromJSON(fixture));
  });

  it('reads a protobuf payload in shorthand by its message type', () => {
    const event = { eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', workflowExecutionStartedEventAttributes: { input: { payloads: [{ _protoMessageType: 'temporal.api.common.v1.WorkflowType', name: 'lead' }] } } };
    const [payload] = historyFromJSON({ events: [event] }).events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    expect(Buffer.from(payload!.metadata!.encoding!).toString()).toBe('json/protobuf');
    expect(Buffer.from(payload!.metadata!.messageType!).toString()).toBe('temporal.api.common.v1.WorkflowType');
    expect(JSON.parse(Buffer.from(payload!.data!).toString())).toEqual({ name: 'lead' });
  });

  it('names a payload it cannot decode instead of dropping it', () => {
    const event = { eventId: '7', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', workflowExecutionStartedEventAttributes: { input: { payloads: [{ metadata: {}, data: 'e30=' }] } } };
    expect(() => historyFromJSON({ events: [event] })).toThrow('event 7: payloads[0]: a payload without an encoding cannot be decoded');
  });
});
