// Consent as facts: a channel given or refused, by a source, at a time. The latest fact stands; at
// the same instant a refusal wins, so an opt-in never overrides an opt-out it does not follow.
// Before any fact, email follows the deployment's policy (consentPolicy in the model).
import type { ConsentChannel } from './events';
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
