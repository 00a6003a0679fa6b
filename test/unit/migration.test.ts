import { placeOf } from '../../channels/place';
import { createLead, step } from '../../core/engine';
import type { LeadState } from '../../core/engine/state';
import type { Lead } from '../../core/model/lead';
import type { SequenceDefinition } from '../../core/model/sequence';
import { LATEST_RULES, type Catalog, type Command } from '../../core/protocol';
import { defaultCatalog } from '../../sequences/library';

const live = defaultCatalog({ holdoutPercent: 0 });
const v1 = live.latest.education!;
const education = live.versions[v1]!;

/** The catalog a worker starts on after the education sequence changed: its old version kept for the leads that run it. */
function withNewEducation(edit: (definition: SequenceDefinition) => SequenceDefinition): Catalog {
  return { ...live, versions: { ...live.versions, 'education@v2': edit(structuredClone(education)) }, latest: { ...live.latest, education: 'education@v2' } };
}
const framework = (template: string) => (definition: SequenceDefinition) => ({ ...definition, steps: definition.steps.map((s) => (s.id === 'framework' ? { ...s, template } : s)) }) as SequenceDefinition;

// A Tuesday at 10:00 in Berlin: the first email goes at once, then the lead waits (wait-2, 4 days).
const start = Date.parse('2026-06-02T08:00:00Z');
function waitingLead(): LeadState {
  const lead: Lead = { id: 'lead-m', email: 'm@northwind.example', country: 'DE', timezone: 'Europe/Berlin', consent: { email: true } };
  const { state } = createLead({ ...lead, ...placeOf(lead) }, start, live, 'education');
  expect(state.sequence).toMatchObject({ version: v1, stepIndex: 1 });
  return state;
}
const sends = (commands: Command[]) => commands.flatMap((command) => (command.type === 'send' ? [command.touch] : []));
// The wait ends on Saturday; the next email goes inside the window, on Monday at 10:00.
const wakeAfterWait = (catalog: Catalog, rules = LATEST_RULES) => step(waitingLead(), { kind: 'wake' }, start + 6 * 86_400_000, catalog, rules);

describe('a running lead and a new version of its sequence', () => {
  it('finishes on its own version when the new one pins (or says nothing)', () => {
    const { state, commands } = wakeAfterWait(withNewEducation(framework('education/mistakes')));
    expect(sends(commands)).toEqual([expect.objectContaining({ stepId: 'framework', template: 'education/framework', sequenceVersion: v1 })]);
    expect(state.sequence!.version).toBe(v1);
  });

  it('goes on at the same step with next-step, keeping its wait, and sends the new version of the next step', () => {
    const catalog = withNewEducation((definition) => ({ ...framework('education/mistakes')(definition), migration: 'next-step' }));
    const early = step(waitingLead(), { kind: 'wake' }, start + 86_400_000, catalog);
    // Moved onto the new version, still in its 4-day wait: nothing sent yet.
    expect(early.state.sequence).toMatchObject({ version: 'education@v2', stepIndex: 1 });
    expect(sends(early.commands)).toEqual([]);
    expect(early.commands).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'exitSequence', version: v1, reason: 'migrated to education@v2 (next-step)' }),
        expect.objectContaining({ type: 'enterSequence', version: 'education@v2', reason: `migrated from ${v1} (next-step) at wait-2` }),
      ]),
    );
    const { commands } = wakeAfterWait(catalog);
    expect(sends(commands)).toEqual([expect.objectContaining({ stepId: 'framework', template: 'education/mistakes', sequenceVersion: 'education@v2' })]);
  });

  it('goes on at the nearest later step the new version keeps when its own is gone', () => {
    const catalog = withNewEducation((definition) => ({ ...definition, migration: 'next-step', steps: definition.steps.filter((s) => s.id !== 'wait-2' && s.id !== 'framework') }));
    const { state, commands } = step(waitingLead(), { kind: 'wake' }, start + 86_400_000, catalog);
    expect(state.sequence).toMatchObject({ version: 'education@v2', stepIndex: 1 });
    expect(catalog.versions['education@v2']!.steps[1]!.id).toBe('wait-4');
    expect(commands).toContainEqual(expect.objectContaining({ type: 'enterSequence', reason: `migrated from ${v1} (next-step) at wait-4` }));
  });

  it('starts over with restart', () => {
    const catalog = withNewEducation((definition) => ({ ...definition, migration: 'restart' }));
    const { state, commands } = step(waitingLead(), { kind: 'wake' }, start + 86_400_000, catalog);
    expect(sends(commands)).toEqual([expect.objectContaining({ stepId: 'thanks', sequenceVersion: 'education@v2' })]);
    expect(state.sequence).toMatchObject({ version: 'education@v2', enrolledAt: start + 86_400_000 });
  });

  it('stays on its version under the rules before migrations (a replayed history)', () => {
    const catalog = withNewEducation((definition) => ({ ...definition, migration: 'restart' }));
    expect(wakeAfterWait(catalog, { ...LATEST_RULES, migrations: false }).state.sequence!.version).toBe(v1);
  });
});
