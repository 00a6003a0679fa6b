// A touch step: sent now, deferred to the next instant its caps and send window allow, or skipped
// (holdout, no consent, no address, no slot ever); the send command carries why it went out.
import { afterTouch, capUse, isCapped, nextSendSlot, recordSend } from '../model/cadence';
import { touchChannel, type SequenceDefinition, type TouchStep } from '../model/sequence';
import { mergeCadence } from '../model/tuning';
import type { Touch } from '../protocol';
import { skipReason } from './consent';
import type { Run } from './run';

/** Sends, defers or skips a touch step; true when the sequence moves on to its next step. */
export function runTouch(run: Run, current: TouchStep, definition: SequenceDefinition): boolean {
  const s = run.state;
  const position = s.sequence!;
  const channel = touchChannel(current);
  const skip = skipReason(s, channel);
  if (skip) {
    s.counters.skipped++;
    run.commands.push({ type: 'touchSkipped', sequenceId: definition.id, stepId: current.id, channel, reason: skip, at: run.now });
    return true;
  }
  const cadence = mergeCadence(run.model.cadence, definition.cadence);
  const zone = s.profile.timezone ?? run.model.defaultTimezone;
  const slot = nextSendSlot(s.sends, channel, run.now, zone, s.optedDown, cadence);
  if (!slot) {
    s.counters.skipped++;
    run.commands.push({ type: 'touchSkipped', sequenceId: definition.id, stepId: current.id, channel, reason: 'no_send_slot', at: run.now });
    return true;
  }
  if (slot.at > run.now) {
    s.counters.deferred++;
    position.dueAt = slot.at;
    run.commands.push({ type: 'touchDeferred', sequenceId: definition.id, stepId: current.id, channel, until: slot.at, reasons: slot.reasons, at: run.now });
    return false;
  }

  const touchNumber = s.counters.touches + 1;
  const touch: Touch = {
    idempotencyKey: `lead-${s.leadId}/${position.version}/${current.id}/${touchNumber}`,
    leadId: s.leadId,
    channel,
    ...('template' in current ? { template: current.template } : {}),
    ...(current.kind === 'offer' ? { offer: current.offer } : {}),
    ...(current.kind === 'webhook' ? { webhook: { target: current.target, event: current.event } } : {}),
    sequenceId: definition.id,
    sequenceVersion: position.version,
    stepId: current.id,
    touchNumber,
    at: run.now,
    why: {
      rule: `sequence ${definition.id} step ${current.id}`,
      tier: s.cadence.tier,
      multiplier: s.cadence.multiplier,
      scores: run.scores(),
      caps: capUse(s.sends, channel, run.now, s.optedDown, cadence),
    },
  };
  run.commands.push({ type: 'send', touch });
  s.counters.touches = touchNumber;
  s.sends = recordSend(s.sends, channel, run.now, cadence);
  if (channel === 'email') s.lastEmailSentAt = run.now;
  // Webhooks reach our systems, not the lead: they neither answer nor go unanswered.
  if (isCapped(channel)) s.cadence = afterTouch(s.cadence, s.lastIntentAt, run.now, cadence);
  return true;
}
