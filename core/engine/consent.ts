// Consent in the engine's state: a channel closes on an unsubscribe, a hard bounce or a permanent
// delivery failure, and opens on a grant; every change is a command the workflow records. A touch
// on a closed channel, or to a lead without the address, is skipped with the reason.
import type { Channel, ConsentChannel } from '../model/events';
import type { SendFailure } from '../protocol';
import type { Run } from './run';
import type { LeadState } from './state';

export function setConsent(run: Run, channel: ConsentChannel, granted: boolean, reason: string): void {
  const s = run.state;
  if (s.consent[channel] === granted) return;
  s.consent[channel] = granted;
  if (granted) delete s.consentReasons[channel];
  else s.consentReasons[channel] = reason;
  run.commands.push({ type: 'consentChanged', channel, granted, reason, at: run.now });
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
  if (channel === 'email' && !state.profile.email) return 'no_address:email';
  if (channel === 'sms' && !state.profile.phone) return 'no_address:phone';
  return undefined;
}
