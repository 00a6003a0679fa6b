// The sequence DSL's condition builders, as a marketer writes them: each builds the condition data
// the engine evaluates, and they combine.
import { evaluate, type ConditionContext } from '../../core/model/conditions';
import { all, any, defineSequence, did, email, experiment, fieldAtLeast, fieldContains, fieldIs, not, offer, promoteWhen, scoreAtLeast, scoreBelow, stageIs, tierIs, wait } from '../../sequences/dsl';
import { at, DAY_MS } from '../support/engineDriver';

const now = at('2025-03-10T09:00:00Z');
const lead: ConditionContext = {
  now,
  aggregates: { 'page_view:pricing': { count: 2, lastAt: now - 2 * DAY_MS }, email_open: { count: 5, lastAt: now - DAY_MS } },
  scores: { fit: 35, intent: 22, total: 57 },
  stage: 'mql',
  tier: 'cooling',
  profile: { title: 'VP Operations', industry: 'software', companySize: 300, country: 'DE' },
  enrolledAt: now - 3 * DAY_MS,
  stepEnteredAt: now - 12 * 60 * 60 * 1000,
};
const holds = (condition: Parameters<typeof evaluate>[0]) => evaluate(condition, lead);

describe('the sequence DSL', () => {
  it('builds an A/B test of a message step, and names a variant id given twice', () => {
    const draft = { id: 'welcome', name: 'Welcome', audience: did('form_submit'), steps: [experiment(email('hello', 'ops/hello'), { id: 'control', weight: 50 }, { id: 'short', weight: 50, template: 'ops/short' })] };
    expect(defineSequence(draft).steps[0]).toEqual({ kind: 'email', id: 'hello', template: 'ops/hello', variants: [{ id: 'control', weight: 50 }, { id: 'short', weight: 50, template: 'ops/short' }] });
    const twice = { ...draft, steps: [experiment(email('hello', 'ops/hello'), { id: 'a', weight: 50 }, { id: 'a', weight: 50 })] };
    expect(() => defineSequence(twice)).toThrow('steps.0.variants: variant ids must differ');
  });

  it('builds A/B tests of a channel and of a wait, with a rule that promotes the winner', () => {
    const byText = [
      { id: 'control', weight: 50 },
      { id: 'text', weight: 50, channel: 'sms' as const, template: 'ops/hello-text' },
    ];
    const draft = {
      id: 'welcome',
      name: 'Welcome',
      audience: did('form_submit'),
      steps: [
        promoteWhen(experiment(email('hello', 'ops/hello'), ...byText), { metric: 'clicked' }),
        experiment(wait('3d', 'gap'), { id: 'control', weight: 50 }, { id: 'sooner', weight: 50, duration: '1d' }),
      ],
    };
    expect(defineSequence(draft).steps).toEqual([
      { kind: 'email', id: 'hello', template: 'ops/hello', variants: byText, promote: { metric: 'clicked', minExposures: 100, confidence: 0.95, windowDays: 30 } },
      { kind: 'wait', id: 'gap', duration: '3d', variants: [{ id: 'control', weight: 50 }, { id: 'sooner', weight: 50, duration: '1d' }] },
    ]);
  });

  it('names what an A/B test lacks: a template for another channel, variants for a rule, a channel an offer cannot change', () => {
    const sequence = (...steps: Parameters<typeof defineSequence>[0]['steps']) => () => defineSequence({ id: 'welcome', name: 'Welcome', audience: did('form_submit'), steps });
    expect(sequence(experiment(email('hello', 'ops/hello'), { id: 'control', weight: 50 }, { id: 'text', weight: 50, channel: 'sms' }))).toThrow('steps.0.variants.1.template: a variant on sms names a template written for it');
    expect(sequence(promoteWhen(email('hello', 'ops/hello'), { metric: 'clicked' }))).toThrow('steps.0.promote: a promotion rule needs variants to choose from');
    expect(sequence(experiment(offer('guide', 'guide', 'ops/guide'), { id: 'control', weight: 50 }, { id: 'app', weight: 50, channel: 'inApp', template: 'ops/tip' }))).toThrow('steps.0.variants.1.channel: an offer keeps its channel');
    expect(sequence(promoteWhen(experiment(wait('3d', 'gap'), { id: 'control', weight: 50 }, { id: 'b', weight: 50 }), { metric: 'mql', confidence: 0.5 }))).toThrow('steps.0.promote.confidence');
  });

  it('builds score conditions: at least, and below', () => {
    expect([holds(scoreAtLeast('total', 57)), holds(scoreAtLeast('fit', 36)), holds(scoreBelow('intent', 23)), holds(scoreBelow('intent', 22))]).toEqual([true, false, true, false]);
  });

  it('builds stage and tier conditions that match any of the names given', () => {
    expect([holds(stageIs('lead', 'mql')), holds(stageIs('sql')), holds(tierIs('cooling')), holds(tierIs('active', 'dormant'))]).toEqual([true, false, true, false]);
  });

  it('builds profile conditions: one of, whole words, at least', () => {
    expect([holds(fieldIs('country', 'de', 'at')), holds(fieldContains('title', 'vp')), holds(fieldContains('title', 'v')), holds(fieldAtLeast('companySize', 300)), holds(fieldAtLeast('companySize', 301))]).toEqual([
      true,
      true,
      false,
      true,
      false,
    ]);
  });

  it('combines conditions with all, any and not', () => {
    const pricingThisWeek = did('page_view:pricing', { within: '7d' });
    expect(holds(all(pricingThisWeek, scoreAtLeast('total', 50)))).toBe(true);
    expect(holds(all(pricingThisWeek, scoreAtLeast('total', 60)))).toBe(false);
    expect(holds(any(did('demo_request'), pricingThisWeek))).toBe(true);
    expect(holds(not(did('page_view:pricing', { since: 'step' })))).toBe(true);
    expect(holds(not(did('email_open', { atLeast: 5 })))).toBe(false);
  });
});
