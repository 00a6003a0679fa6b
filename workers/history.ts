// Workflow histories as JSON, in the format of `temporal workflow show --output json` (proto3 JSON),
// so a file from either tool works in both: what `nurture history export` writes and `nurture
// replay` reads.
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/** A history to replay, with the name it is reported under. */
export interface NamedHistory {
  /** The file it came from, or the workflow id (and run) on the server. */
  label: string;
  workflowId: string;
  history: History;
}

// The SDK's historyToJSON/historyFromJSON (@temporalio/common/lib/proto-utils) convert with the
// protojson of their own protobufjs copy; npm nests protobufjs 8 separately under each
// @temporalio package (grpc-js holds the top level at 7), so their type check fails with "type
// must be a Type". These are the same conversions, with the protojson of the protobufjs that
// built @temporalio/proto's types.
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [path.dirname(require.resolve('@temporalio/proto'))] })) as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

/** A history as the JSON text other Temporal tools write (proto3 JSON, enums as names, 2-space indent). */
export function historyToJSON(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
}

/**
 * A history from proto3 JSON. Enum values may be full names (`EVENT_TYPE_WORKFLOW_EXECUTION_STARTED`,
 * as the Temporal CLI writes) or short ones (`WorkflowExecutionStarted`, as older tools and the Web UI did).
 */
export function historyFromJSON(json: unknown): History {
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) throw new TypeError('expected an object with an array of events');
  const expanded = events.map((event, index) => expandPayloads(fullEnumNames(event), `event ${(event as { eventId?: unknown })?.eventId ?? index + 1}`));
  // Fields a newer server added are skipped; payloads never are (expandPayloads checked each).
  const loaded = protojson.fromJson(historyType, { events: expanded }, { ignoreUnknownFields: true });
  if (!loaded) throw new TypeError('not a history');
  return loaded as History;
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * Payloads in their full form (`{ metadata: { encoding }, data }`), from either form the Temporal
 * CLI writes: the full one, checked to carry an encoding, or the shorthand, where a JSON payload is
 * its value and a protobuf one its message with `_protoMessageType`. A payload that is neither is
 * an error naming where it is, never dropped.
 */
function expandPayloads(value: unknown, where: string, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item, i) => (key === 'payloads' ? fullPayload(item, `${where}: payloads[${i}]`) : expandPayloads(item, where)));
  if (!value || typeof value !== 'object') return value;
  if (key === 'fields' || key === 'indexedFields') {
    return Object.fromEntries(Object.entries(value).map(([name, payload]) => [name, fullPayload(payload, `${where}: ${key}.${name}`)]));
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandPayloads(v, where, k)]));
}

function fullPayload(payload: unknown, where: string): unknown {
  if (payload && typeof payload === 'object' && !Array.isArray(payload) && 'metadata' in payload) {
    const encoding = (payload as { metadata?: { encoding?: unknown } }).metadata?.encoding;
    if (typeof encoding !== 'string' || !encoding) throw new TypeError(`${where}: a payload without an encoding cannot be decoded`);
    return payload;
  }
  if (payload && typeof payload === 'object' && !Array.isArray(payload) && '_protoMessageType' in payload) {
    const { _protoMessageType: messageType, ...message } = payload as { _protoMessageType: unknown };
    if (typeof messageType !== 'string') throw new TypeError(`${where}: _protoMessageType must name a message type`);
    return { metadata: { encoding: base64('json/protobuf'), messageType: base64(messageType) }, data: base64(JSON.stringify(message)) };
  }
  if (payload === undefined) throw new TypeError(`${where}: an empty payload cannot be decoded`);
  // The shorthand of a JSON payload: its value.
  return { metadata: { encoding: base64('json/plain') }, data: base64(JSON.stringify(payload)) };
}

/** The enum fields that short-form exports abbreviate, by the prefix of their full names. */
const ENUM_PREFIXES: Record<string, string> = {
  eventType: 'EVENT_TYPE',
  kind: 'TASK_QUEUE_KIND',
  parentClosePolicy: 'PARENT_CLOSE_POLICY',
  workflowIdReusePolicy: 'WORKFLOW_ID_REUSE_POLICY',
  initiator: 'CONTINUE_AS_NEW_INITIATOR',
  retryState: 'RETRY_STATE',
};

function fullEnumNames(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => fullEnumNames(item));
  if (value && typeof value === 'object') {
    // Payload contents are data, not enums: leave them as they are.
    if (key === 'payloads' || key === 'fields' || key === 'indexedFields' || key === 'header') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fullEnumNames(v, k)]));
  }
  const prefix = ENUM_PREFIXES[key];
  if (typeof value !== 'string' || !prefix || value.startsWith(prefix) || !/^[A-Z][A-Za-z]*$/.test(value)) return value;
  return `${prefix}_${value.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase()}`;
}
