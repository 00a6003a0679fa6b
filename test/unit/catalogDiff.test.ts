import { loadTemplates } from '../../channels/templates';
import { diffCatalogs, type CatalogSnapshot } from '../../core/catalogDiff';
import type { SequenceDefinition } from '../../core/model/sequence';
import { catalogSnapshot, snapshotVersion } from '../../sequences/catalog';
import { defaultCatalog, TEMPLATES_DIR } from '../../sequences/library';

const templates = loadTemplates(TEMPLATES_DIR);
const live = catalogSnapshot(defaultCatalog(), templates);
/** The live snapshot with the education sequence's steps edited. */
const withEducationSteps = (edit: (steps: SequenceDefinition['steps']) => SequenceDefinition['steps']): CatalogSnapshot => {
  const education = structuredClone(live.sequences.education!);
  return { ...live, sequences: { ...live.sequences, education: { ...education, steps: edit(education.steps) } } };
};

describe('catalog diff', () => {
  it('finds nothing between a catalog and itself, whatever the key order', () => {
    const reordered = JSON.parse(JSON.stringify(live, (_key, value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).reverse()) : value))) as CatalogSnapshot;
    expect(diffCatalogs(live, reordered)).toEqual([]);
    expect(snapshotVersion(reordered)).toBe(snapshotVersion(live));
  });

  it("names a model value by its path, with before and after", () => {
    const candidate = catalogSnapshot(defaultCatalog({ qualification: { mql: { fit: 20, intent: 10, total: 30 } } }), templates);
    expect(diffCatalogs(live, candidate)).toEqual([{ where: 'model', what: 'qualification.mql.total: 40 → 30' }]);
  });

  it('names exactly the step whose template changed by one word, and the part; every step of a shared template', () => {
    const edit = (id: string) => ({ ...templates, [id]: { ...templates[id], subject: `${templates[id]!.subject!.trim()} now\n` } });
    expect(diffCatalogs(live, catalogSnapshot(defaultCatalog(), edit('education/mistakes')))).toEqual([
      { where: 'education/mistakes', what: 'template education/mistakes changed: subject', sequenceId: 'education' },
    ]);
    expect(diffCatalogs(live, catalogSnapshot(defaultCatalog(), edit('education/framework'))).map((change) => change.where)).toEqual(['education/framework', 'event-follow-up/framework']);
  });

  it('lists steps changed, added, removed and reordered', () => {
    const changed = withEducationSteps((steps) => steps.map((step) => (step.id === 'wait-2' ? { ...step, duration: '3d' } : step)));
    expect(diffCatalogs(live, changed)).toEqual([{ where: 'education/wait-2', what: 'duration: "4d" → "3d"', sequenceId: 'education' }]);
    const added = withEducationSteps((steps) => [...steps, { kind: 'email', id: 'case-study', template: 'education/guide' }]);
    expect(diffCatalogs(live, added)).toEqual([{ where: 'education/case-study', what: 'step added (email)', sequenceId: 'education' }]);
    const removed = withEducationSteps((steps) => steps.filter((step) => step.id !== 'mistakes'));
    expect(diffCatalogs(live, removed)).toEqual([{ where: 'education/mistakes', what: 'step removed', sequenceId: 'education' }]);
    const reordered = withEducationSteps((steps) => [steps[2]!, steps[1]!, steps[0]!, ...steps.slice(3)]);
    expect(diffCatalogs(live, reordered)).toEqual([{ where: 'education', what: 'steps reordered: framework, wait-2, thanks, wait-4, mistakes, wait-6, guide', sequenceId: 'education' }]);
  });

  it('names a sequence added or removed', () => {
    const { education, ...rest } = live.sequences;
    expect(diffCatalogs(live, { ...live, sequences: rest })).toEqual([{ where: 'education', what: 'sequence removed', sequenceId: 'education' }]);
    expect(diffCatalogs({ ...live, sequences: rest }, live)).toEqual([{ where: 'education', what: `sequence added (${education!.steps.length} steps)`, sequenceId: 'education' }]);
  });
});
