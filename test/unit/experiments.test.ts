import { placeOf } from '../../channels/place';
import { createLead } from '../../core/engine';
import { applyPromotions, assignVariant, mayPromote, verdictOf, winnerByRule } from '../../core/model/experiments';
import { isHoldout } from '../../core/model/hash';
import type { Lead } from '../../core/model/lead';
import { promotionRuleSchema, type Variant } from '../../core/model/sequence';
import { LATEST_RULES, type Catalog, type Touch } from '../../core/protocol';
import { defaultCatalog } from '../../sequences/library';
import { educationWithTests, TEXT_TEST, WAIT_TEST } from '../support/abTests';

const variants = [
  { id: 'control', weight: 50 },
  { id: 'short', weight: 50, template: 'education/mistakes' },
];

/** The library with one of the education sequence's steps (its first email by default) an A/B test of `tested` (the template by default). */
const catalogWithExperiment = (tested: readonly Variant[] = variants, stepIndex = 0): Catalog => educationWithTests(defaultCatalog(), { [stepIndex]: tested });

// A Tuesday at 10:00 in Berlin: inside the default send window.
const now = Date.parse('2026-06-02T08:00:00Z');
const arrive = (id: string, catalog: Catalog, rules = LATEST_RULES, consent: Lead['consent'] = { email: true }) => {
  const lead: Lead = { id, email: `${id}@northwind.example`, phone: '+49 151 2345 6789', country: 'DE', timezone: 'Europe/Berlin', consent };
  return createLead({ ...lead, ...placeOf(lead) }, now, catalog, 'education', rules).commands;
};
const firstTouch = (id: string, catalog: Catalog, rules = LATEST_RULES, consent?: Lead['consent']): Touch => {
  const commands = arrive(id, catalog, rules, consent);
  const send = commands.find((command) => command.type === 'send');
  if (send?.type !== 'send') throw new Error(`no send for ${id}: ${JSON.stringify(commands.map((command) => command.type))}`);
  return send.touch;
};
/** Leads outside the holdout (who get no touch at all), with their variant of `experiment`. */
const treatedLeads = (catalog: Catalog, experiment: string, tested: readonly Variant[], count = 40) =>
  Array.from({ length: count }, (_, n) => `lead-${n}`)
    .filter((id) => !isHoldout(id, catalog.model.holdoutPercent))
    .map((id) => ({ id, variant: assignVariant(experiment, id, tested).id }));

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

describe('channel and wait variants', () => {
  const byText = TEXT_TEST;
  const waits = WAIT_TEST;

  it("sends the lead's variant on its channel, under that channel's consent", () => {
    const catalog = catalogWithExperiment(byText);
    const leads = treatedLeads(catalog, 'education/thanks', byText);
    expect(new Set(leads.map((lead) => lead.variant))).toEqual(new Set(['control', 'text']));
    for (const lead of leads) {
      const touch = firstTouch(lead.id, catalog, LATEST_RULES, { email: true, sms: true });
      expect([touch.channel, touch.template, touch.experiment]).toEqual(
        lead.variant === 'text' ? ['sms', 'event-follow-up/thanks', { id: 'education/thanks', variant: 'text' }] : ['email', 'education/thanks', { id: 'education/thanks', variant: 'control' }],
      );
    }
    // Without SMS consent the text is skipped, never sent by email instead.
    const texted = leads.find((lead) => lead.variant === 'text')!;
    const commands = arrive(texted.id, catalog, LATEST_RULES, { email: true });
    expect(commands.filter((command) => command.type === 'send')).toEqual([]);
    expect(commands).toContainEqual(expect.objectContaining({ type: 'touchSkipped', stepId: 'thanks', channel: 'sms' }));
    // A history recorded before the rule replays on the step's own channel.
    expect(firstTouch(texted.id, catalog, { ...LATEST_RULES, channelAndWaitVariants: false }).channel).toBe('email');
  });

  it("waits the lead's variant's duration and records the exposure as the wait starts", () => {
    const catalog = catalogWithExperiment(waits, 1);
    const leads = treatedLeads(catalog, 'education/wait-2', waits);
    expect(new Set(leads.map((lead) => lead.variant))).toEqual(new Set(['control', 'sooner']));
    for (const lead of leads) {
      const commands = arrive(lead.id, catalog);
      const version = catalog.latest.education!;
      expect(commands).toContainEqual({ type: 'exposed', sequenceId: 'education', version, stepId: 'wait-2', experiment: { id: 'education/wait-2', variant: lead.variant }, at: now });
      expect(commands).toContainEqual({ type: 'wakeAt', at: now + (lead.variant === 'sooner' ? 1 : 4) * 86_400_000 });
    }
    // Before the rule: the step's own four days, and no exposure.
    const before = arrive(leads.find((lead) => lead.variant === 'sooner')!.id, catalog, { ...LATEST_RULES, channelAndWaitVariants: false });
    expect(before.map((command) => command.type)).not.toContain('exposed');
    expect(before).toContainEqual({ type: 'wakeAt', at: now + 4 * 86_400_000 });
  });

  it("promote to the winner's channel or wait", () => {
    const texting = catalogWithExperiment(byText);
    const [promoted] = applyPromotions([texting.versions[texting.latest.education!]!], { 'education/thanks': 'text' });
    expect(promoted!.steps[0]).toEqual({ kind: 'sms', id: 'thanks', template: 'event-follow-up/thanks' });
    const waiting = catalogWithExperiment(waits, 1);
    const [sooner] = applyPromotions([waiting.versions[waiting.latest.education!]!], { 'education/wait-2': 'sooner' });
    expect(sooner!.steps[1]).toEqual({ kind: 'wait', id: 'wait-2', duration: '1d' });
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

describe('promotion by a rule in the sequence', () => {
  const rule = promotionRuleSchema.parse({ metric: 'clicked', minExposures: 100 });
  const arms = (...converted: [string, number, number][]) => converted.map(([id, exposures, conversions]) => ({ id, exposures, converted: conversions }));
  const three = [
    { id: 'control', weight: 34 },
    { id: 'b', weight: 33 },
    { id: 'c', weight: 33 },
  ];

  it('defaults to 95% confidence within 30 days', () => {
    expect(rule).toEqual({ metric: 'clicked', minExposures: 100, confidence: 0.95, windowDays: 30 });
  });

  it('promotes the best variant the z-test shows better than the control, once every arm has its exposures', () => {
    // b: 15.0% against 10.0% of 1,000 each, z = 3.38, p = 0.0007; c: 12.5%, z = 1.77, p = 0.077.
    expect(winnerByRule(rule, three, arms(['control', 1000, 100], ['b', 1000, 150], ['c', 1000, 125]))).toBe('b');
    expect(winnerByRule(rule, three, arms(['control', 1000, 100], ['b', 1000, 150], ['c', 1000, 160]))).toBe('c');
    // An arm short of its exposures, or with none yet, holds the decision.
    expect(winnerByRule(rule, three, arms(['control', 1000, 100], ['b', 1000, 150], ['c', 99, 60]))).toBeUndefined();
    expect(winnerByRule(rule, three, arms(['control', 1000, 100], ['b', 1000, 150]))).toBeUndefined();
    // Nothing better than the control: the test runs on.
    expect(winnerByRule(rule, three, arms(['control', 1000, 150], ['b', 1000, 100], ['c', 1000, 125]))).toBeUndefined();
  });

  it('splits the significance among the variants compared (Bonferroni)', () => {
    // 12.8% against 10.0% of 1,000 each: z = 1.97, p = 0.049, under 0.05 alone but not under 0.025 for two.
    expect(winnerByRule(rule, [three[0]!, three[1]!], arms(['control', 1000, 100], ['b', 1000, 128]))).toBe('b');
    expect(winnerByRule(rule, three, arms(['control', 1000, 100], ['b', 1000, 128], ['c', 1000, 100]))).toBeUndefined();
  });
});
