// Consent in the engine's state: a channel closes on an unsubscribe, a hard bounce or a permanent
// delivery failure, and opens on a grant; every change is a command the workflow records. Consent
// is a fact with a time: only a fact that supersedes the standing one changes it, and a revoked
// channel's planned touch is cancelled at once. A touch on a closed channel, or to a lead without
// the address, is skipped with the reason.
import { supersedes } from '../model/consent';
import type { Channel, ConsentChannel } from '../model/events';
import { isTouchStep, touchChannel } from '../model/sequence';
import type { SendFailure } from '../protocol';
import type { Run } from './run';
import type { LeadState } from './state';

/**
 * Gives or refuses `channel` as of `at` (the engine's now when absent): a fact older than the
 * standing one changes nothing. `recorded`: it came in through a door that stored it already.
 */
export function setConsent(run: Run, channel: ConsentChannel, granted: boolean, reason: string, at = run.now, recorded = false): void {
  const s = run.state;
  if (run.rules.consentFacts) {
    const standingAt = s.consentAt?.[channel];
    if (!supersedes({ granted, at }, standingAt === undefined ? undefined : { granted: s.consent[channel], at: standingAt })) return;
    s.consentAt = { ...s.consentAt, [channel]: at };
  }
  if (s.consent[channel] === granted) return;
  s.consent[channel] = granted;
  if (granted) delete s.consentReasons[channel];
  else s.consentReasons[channel] = reason;
  run.commands.push({ type: 'consentChanged', channel, granted, reason, ...(run.rules.consentFacts ? { at, ...(recorded ? { recorded: true as const } : {}) } : { at: run.now }) });
  if (!granted && run.rules.consentFacts) cancelPlannedTouch(run, channel, reason);
}

/** The touch the lead waits for on a channel just closed is cancelled now, not skipped when it falls due. */
function cancelPlannedTouch(run: Run, channel: ConsentChannel, reason: string): void {
  const position = run.state.sequence;
  const current = run.currentStep();
  if (!position || !current || !isTouchStep(current) || touchChannel(current) !== channel) return;
  run.state.counters.skipped++;
  run.commands.push({ type: 'touchCanceled', sequenceId: position.id, stepId: current.id, channel, reason: `no_consent:${reason}`, at: run.now });
  run.goToStep(position.stepIndex + 1);
}

/** A permanent delivery failure closes the channel, with the reason the lead's state shows. */
export function closeFailedChannel(run: Run, channel: Channel, reason: SendFailure): void {
  if (channel === 'webhook') return;
  setConsent(run, channel, false, reason);
}

/** Why a touch on `channel` must not go out at all, if it must not. */
export function skipReason(state: LeadState, channel: Channel): string | undefined {
  if (state.holdout) return 'holdout';
  if (channel === 'webhook') return undefined;
  if (!state.consent[channel]) return `no_consent:${state.consentReasons[channel] ?? 'not_given'}`;
  if (channel === 'email' && !state.profile.hasEmail) return 'no_address:email';
  if (channel === 'sms' && !state.profile.hasPhone) return 'no_address:phone';
  return undefined;
}
