// What the workers report about their work, where it happens (in the worker process): counters and a
// histogram on prom-client's process-wide registry, which the process serves at /metrics, and one
// log line through the running activity's logger, which carries the workflow, the activity and the
// correlation id of the request that caused it.
import { asyncLocalStorage } from '@temporalio/activity';
import type { LogMetadata } from '@temporalio/common';
import { Counter, Histogram } from 'prom-client';
import type { Channel } from '../core/model/events';
import type { HandoffOutcome } from '../core/protocol';

const sends = new Counter({
  name: 'nurture_sends_total',
  help: 'Send attempts by channel and outcome: sent, duplicate (already sent), suppressed, failed (for good), deferred (outside the send window), error (transient: the activity retries)',
  labelNames: ['channel', 'outcome'],
});
const stageChanges = new Counter({ name: 'nurture_stage_changes_total', help: 'Stage changes of leads, by stage left and entered', labelNames: ['from', 'to'] });
const handoffs = new Counter({
  name: 'nurture_handoffs_total',
  help: 'Sales handoffs by event: opened, escalated (SLA breached, reassigned), reassigned (by a manager), snoozed (by its owner), accepted, rejected, meeting_booked, no_response',
  labelNames: ['event'],
});
const speedToLead = new Histogram({
  name: 'nurture_speed_to_lead_seconds',
  help: "Seconds from the lead's latest event (the one that qualified it) to its sales task being written",
  buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
});

export type SendOutcome = 'sent' | 'duplicate' | 'suppressed' | 'failed' | 'deferred' | 'error';
type HandoffEvent = 'opened' | 'escalated' | 'reassigned' | 'snoozed' | HandoffOutcome;

export function countSend(channel: Channel, outcome: SendOutcome, details: LogMetadata): void {
  sends.inc({ channel, outcome });
  activityLog()?.info(`touch ${outcome}`, { channel, ...details });
}

export function countStageChange(from: string, to: string): void {
  stageChanges.inc({ from, to });
  activityLog()?.info('stage changed', { from, to });
}

export function countHandoff(event: HandoffEvent, details: LogMetadata & { handoffId: string }): void {
  handoffs.inc({ event });
  activityLog()?.info(`handoff ${event}`, details);
}

export function observeSpeedToLead(seconds: number): void {
  speedToLead.observe(seconds);
}

/** The running activity's logger; activities called directly (tests, tools) have none. */
function activityLog() {
  return asyncLocalStorage.getStore()?.log;
}
