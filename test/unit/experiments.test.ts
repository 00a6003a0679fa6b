import { placeOf } from '../../channels/place';
import { createLead } from '../../core/engine';
import { applyPromotions, assignVariant, mayPromote, verdictOf } from '../../core/model/experiments';
import { isHoldout } from '../../core/model/hash';
import type { Lead } from '../../core/model/lead';
import type { Step } from '../../core/model/sequence';
import { LATEST_RULES, type Catalog, type Touch } from '../../core/protocol';
import { defaultCatalog } from '../../sequences/library';

const variants = [
  { id: 'control', weight: 50 },
  { id: 'short', weight: 50, template: 'education/mistakes' },
];

/** The library with the education sequence's first email split in two. */
function catalogWithExperiment(): Catalog {
  const base = defaultCatalog();
  const education = structuredClone(base.versions[base.latest.education!]!);
  education.steps[0] = { ...education.steps[0], variants } as Step;
  return { ...base, versions: { ...base.versions, 'education@ab': education }, latest: { ...base.latest, education: 'education@ab' } };
}

// A Tuesday at 10:00 in Berlin: inside the default send window.
const now = Date.parse('2026-06-02T08:00:00Z');
const firstTouch = (id: string, catalog: Catalog, rules = LATEST_RULES): Touch => {
  const lead: Lead = { id, email: `${id}@northwind.example`, country: 'DE', timezone: 'Europe/Berlin', consent: { email: true } };
  const { commands } = createLead({ ...lead, ...placeOf(lead) }, now, catalog, 'education', rules);
  const send = commands.find((command) => command.type === 'send');
  if (send?.type !== 'send') throw new Error(`no send for ${id}: ${JSON.stringify(commands.map((command) => command.type))}`);
  return send.touch;
};

describe('experiments', () => {
  it('assigns a lead the same variant every time, in the shares of the weights', () => {
    const weighted = [
      { id: 'a', weight: 90 },
      { id: 'b', weight: 10 },
    ];
    expect(assignVariant('s/step', 'lead-1', weighted)).toBe(assignVariant('s/step', 'lead-1', weighted));
    const counts = { a: 0, b: 0 };
    for (let n = 0; n < 10_000; n++) counts[assignVariant('s/step', `lead-${n}`, weighted).id as 'a' | 'b']++;
    expect(counts.b).toBeGreaterThan(900);
    expect(counts.b).toBeLessThan(1100);
    // Another experiment splits the same leads independently.
    const other = Array.from({ length: 1000 }, (_, n) => assignVariant('s/other', `lead-${n}`, variants).id === assignVariant('s/step', `lead-${n}`, variants).id);
    expect(other.filter(Boolean).length).toBeGreaterThan(400);
    expect(other.filter(Boolean).length).toBeLessThan(600);
  });

  it("sends the lead's variant's template, naming the experiment and the variant, and the step's own for the control", () => {
    const catalog = catalogWithExperiment();
    // Leads in the holdout get no touch at all.
    const leads = Array.from({ length: 40 }, (_, n) => `lead-${n}`).filter((id) => !isHoldout(id, catalog.model.holdoutPercent));
    const touches = leads.map((id) => firstTouch(id, catalog));
    for (const touch of touches) {
      expect(touch.experiment).toEqual({ id: 'education/thanks', variant: assignVariant('education/thanks', touch.leadId, variants).id });
      expect(touch.template).toBe(touch.experiment!.variant === 'short' ? 'education/mistakes' : 'education/thanks');
    }
    expect(new Set(touches.map((touch) => touch.experiment!.variant))).toEqual(new Set(['control', 'short']));
    // The same lead again (re-entry, a new run): the same variant.
    expect(firstTouch(leads[7]!, catalog).experiment).toEqual(touches[7]!.experiment);
  });

  it('sends the step as it was before the experiments rule (a replayed history)', () => {
    const touch = firstTouch('lead-3', catalogWithExperiment(), { ...LATEST_RULES, experiments: false });
    expect(touch).not.toHaveProperty('experiment');
    expect(touch.template).toBe('education/thanks');
  });
});

describe('promotions', () => {
  it("make the winner's template the step's and end the test, as a new version of the sequence", () => {
    const base = catalogWithExperiment();
    const education = base.versions[base.latest.education!]!;
    const [promoted] = applyPromotions([education], { 'education/thanks': 'short' });
    expect(promoted!.steps[0]).toEqual({ kind: 'email', id: 'thanks', template: 'education/mistakes' });
    expect(promoted!.steps.slice(1)).toEqual(education.steps.slice(1));
    // The control promoted keeps the step's own template.
    expect(applyPromotions([education], { 'education/thanks': 'control' })[0]!.steps[0]).toEqual({ kind: 'email', id: 'thanks', template: 'education/thanks' });
    expect(() => applyPromotions([education], { 'education/thanks': 'loud' })).toThrow('promotion of education/thanks: no variant "loud" (variants: control, short)');
  });
});

describe('the promotion rule', () => {
  const versus = (pValue: number | null, difference: number, enoughData = true) => ({ pValue, difference, enoughData, confidence: 0.95 });

  it('promotes the control, or a variant shown better than it at 95%, and nothing on too little data or by chance', () => {
    expect(verdictOf(null)).toBe('control');
    expect(verdictOf(versus(0.01, 0.1))).toBe('better than control');
    expect(verdictOf(versus(0.01, -0.1))).toBe('worse than control');
    expect(verdictOf(versus(0.2, 0.1))).toBe('no difference shown');
    expect(verdictOf(versus(0.001, 0.3, false))).toBe('too little data');
    expect([null, versus(0.01, 0.1), versus(0.01, -0.1), versus(0.2, 0.1), versus(0.001, 0.3, false)].map((v) => mayPromote(verdictOf(v)))).toEqual([true, true, false, false, false]);
  });
});
