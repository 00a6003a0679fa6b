// A touch step: sent now, deferred to the next instant its caps and send window allow, or skipped
// (holdout, no consent, no address, no slot ever); the send command carries why it went out.
import { afterTouch, isCapped, nextSendSlot, recordSend } from '../model/cadence';
import { DAY_MS } from '../model/duration';
import { assignVariant, experimentId } from '../model/experiments';
import { smsHoursFor, zonesOf } from '../model/quietHours';
import { touchChannel, variantChannel, type SequenceDefinition, type TouchStep } from '../model/sequence';
import { mergeCadence } from '../model/tuning';
import type { Touch } from '../protocol';
import { skipReason } from './consent';
import type { Run } from './run';

/** Sends, defers or skips a touch step; true when the sequence moves on to its next step. */
export function runTouch(run: Run, current: TouchStep, definition: SequenceDefinition): boolean {
  const s = run.state;
  const position = s.sequence!;
  const variants = run.rules.experiments && current.kind !== 'webhook' ? current.variants : undefined;
  const experiment = variants && experimentId(definition.id, current.id);
  const variant = variants && assignVariant(experiment!, s.leadId, variants);
  // Since channel-and-wait-variants, the lead's variant may reach it on another channel: that channel's consent, caps and window hold.
  const channel = run.rules.channelAndWaitVariants && variant?.channel ? variantChannel(variant.channel) : touchChannel(current);
  const skip = skipReason(s, channel);
  if (skip) {
    s.counters.skipped++;
    run.commands.push({ type: 'touchSkipped', sequenceId: definition.id, stepId: current.id, channel, reason: skip, at: run.now });
    return true;
  }
  const cadence = mergeCadence(run.model.cadence, definition.cadence);
  const zones = run.rules.smsZones ? zonesOf(s.profile) : [s.profile.timezone ?? run.model.defaultTimezone];
  if (channel === 'sms' && !zones.length) return holdForZone(run, current, definition);
  // Email and in-app go by the first zone the lead may be in; SMS must be inside its hours in each.
  const sendZones = channel === 'sms' ? zones : [zones[0] ?? run.model.defaultTimezone];
  // A catalog loaded before smsHours existed has none: the model's SMS window alone holds then.
  const hours = channel === 'sms' && run.rules.smsZones ? smsHoursFor(run.model.smsHours ?? {}, s.profile.country, s.profile.region) : [];
  const slot = nextSendSlot(s.sends, channel, run.now, sendZones, s.optedDown, cadence, hours);
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
  // Built key by key in the order the ledger and the audit have always shown them: V8 builds
  // conditional spreads far more slowly, and a backtest builds a touch for every send of every lead.
  const touch = { idempotencyKey: `lead-${s.leadId}/${position.version}/${current.id}/${touchNumber}`, leadId: s.leadId, channel } as Touch;
  if ('template' in current) touch.template = variant?.template ?? current.template;
  if (experiment && variant) touch.experiment = { id: experiment, variant: variant.id };
  if (current.kind === 'offer') touch.offer = current.offer;
  if (current.kind === 'webhook') touch.webhook = { target: current.target, event: current.event };
  touch.sequenceId = definition.id;
  touch.sequenceVersion = position.version;
  touch.stepId = current.id;
  touch.touchNumber = touchNumber;
  touch.at = run.now;
  touch.why = {
    rule: `sequence ${definition.id} step ${current.id}`,
    tier: s.cadence.tier,
    multiplier: s.cadence.multiplier,
    scores: run.scores(),
    caps: slot.caps,
  };
  run.commands.push({ type: 'send', touch });
  s.counters.touches = touchNumber;
  s.sends = recordSend(s.sends, channel, run.now, cadence);
  if (channel === 'email') s.lastEmailSentAt = run.now;
  // Webhooks reach our systems, not the lead: they neither answer nor go unanswered.
  if (isCapped(channel)) s.cadence = afterTouch(s.cadence, s.lastIntentAt, run.now, cadence);
  return true;
}

/** How long an SMS step waits for the lead's zone to become known before it is skipped. */
const ZONE_WAIT_MS = 7 * DAY_MS;

/**
 * An SMS to a lead in no known zone could land at any hour: it waits, looking again daily, for a
 * profile update that says where the lead is, and is skipped after a week.
 */
function holdForZone(run: Run, current: TouchStep, definition: SequenceDefinition): boolean {
  const position = run.state.sequence!;
  if (run.now - position.stepEnteredAt >= ZONE_WAIT_MS) {
    run.state.counters.skipped++;
    run.commands.push({ type: 'touchSkipped', sequenceId: definition.id, stepId: current.id, channel: 'sms', reason: 'no_zone', at: run.now });
    return true;
  }
  run.state.counters.deferred++;
  position.dueAt = Math.min(run.now + DAY_MS, position.stepEnteredAt + ZONE_WAIT_MS);
  run.commands.push({ type: 'touchDeferred', sequenceId: definition.id, stepId: current.id, channel: 'sms', until: position.dueAt, reasons: ['zone:unknown'], at: run.now });
  return false;
}
