// Consent as facts: a channel given or refused, by a source, at a time. The latest fact stands; at
// the same instant a refusal wins, so an opt-in never overrides an opt-out it does not follow.
// Before any fact, email follows the deployment's policy (consentPolicy in the model).
import type { LeadEvent } from './events';
import type { Model } from './tuning';

/** Whether `next` replaces the fact that stands (none: anything does). */
export function supersedes(next: { granted: boolean; at: number }, standing: { granted: boolean; at: number } | undefined): boolean {
  if (!standing) return true;
  return next.at > standing.at || (next.at === standing.at && !next.granted && standing.granted);
}

/** Email consent without a recorded fact: what the policy allows for a lead in `country`, and the basis. */
export function emailConsentByPolicy(country: string | undefined, policy: Model['consentPolicy']): { granted: boolean; basis: string } {
  const optIn = policy.email === 'opt_in' || (country !== undefined && policy.emailOptInCountries.includes(country.toUpperCase()));
  return optIn ? { granted: false, basis: 'policy:opt_in' } : { granted: true, basis: 'policy:legitimate_interest' };
}

/** Words of courtesy and filler around a request to stop: "please stop", "STOP now, thanks!". */
const FILLER = new Set(['please', 'pls', 'plz', 'kindly', 'just', 'now', 'thanks', 'thank', 'you', 'thx', 'ok', 'okay', 'hi', 'hello', 'me']);
/** Messages that are a request to stop when they say nothing else (after the filler goes). */
const STOP_WORDS = new Set(['stop', 'stopall', 'stop all', 'unsubscribe', 'cancel', 'end', 'quit', 'revoke', 'optout', 'opt out', 'remove', 'stop it']);
/** Requests to stop inside a longer message. */
const STOP_PHRASES = [
  /\b(stop|quit|cease|end)\b( \w+){0,2} (texting|texts?|messaging|messages?|sms|contacting|calling|emailing|emails?|sending)\b/,
  /\b(remove|take) me (off|from)\b/,
  /\bremove me\b/,
  /\bunsubscribe\b/,
  /\bopt (me )?out\b/,
  /\brevoke\b/,
  /\b(do not|dont|don t|never) (text|message|contact|email|sms)\b/,
  /\bno (more|further) (texts?|messages?|sms|emails?)\b/,
  /\bleave me alone\b/,
  /\bwrong number\b/,
];

/**
 * Whether a reply asks for the messages to stop, in plain words as well as keywords (the FCC's 2024
 * rule: revocation by any reasonable means). Errs toward stopping: a false stop costs a lead, a
 * missed one a violation.
 */
export function meansStop(text: string): boolean {
  const words = text
    .toLowerCase()
    .replace(/[’']/g, ' ')
    .replace(/[^a-z]+/g, ' ')
    .trim();
  const essential = words
    .split(' ')
    .filter((word) => !FILLER.has(word))
    .join(' ');
  return STOP_WORDS.has(essential) || STOP_WORDS.has(words) || STOP_PHRASES.some((phrase) => phrase.test(words));
}

/**
 * A spam complaint, or a reply whose words ask to stop, as what it is: an unsubscribe from the
 * channel it came on (same event id), which closes the channel and counts as no intent. Undefined
 * for any other event.
 */
export function revocationIn(event: LeadEvent): Extract<LeadEvent, { type: 'unsubscribe' }> | undefined {
  const revokes =
    event.type === 'email_complaint' || ((event.type === 'email_reply' || event.type === 'sms_reply') && event.properties.body !== undefined && meansStop(event.properties.body));
  if (!revokes) return undefined;
  const channel = event.type === 'sms_reply' ? 'sms' : 'email';
  return { eventId: event.eventId, leadId: event.leadId, type: 'unsubscribe', occurredAt: event.occurredAt, properties: { channel } };
}
