// A/B tests on the library's education sequence, for the tests and the replay recordings: its first
// email tested against a text, the wait after it against a shorter one.
import type { Step, Variant } from '../../core/model/sequence';
import type { Catalog } from '../../core/protocol';

export const TEXT_TEST: readonly Variant[] = [
  { id: 'control', weight: 50 },
  { id: 'text', weight: 50, channel: 'sms', template: 'event-follow-up/thanks' },
];
export const WAIT_TEST: readonly Variant[] = [
  { id: 'control', weight: 50 },
  { id: 'sooner', weight: 50, duration: '1d' },
];

/** The catalog with the education sequence's steps at the given indexes made A/B tests of those variants, as its latest version. */
export function educationWithTests(base: Catalog, tests: Record<number, readonly Variant[]>): Catalog {
  const education = structuredClone(base.versions[base.latest.education!]!);
  for (const [index, variants] of Object.entries(tests)) education.steps[Number(index)] = { ...education.steps[Number(index)], variants } as Step;
  return { ...base, versions: { ...base.versions, 'education@ab': education }, latest: { ...base.latest, education: 'education@ab' } };
}
