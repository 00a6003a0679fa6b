import fc from 'fast-check';
import { createLead, scoresOf, step } from '../../core/engine';
import { type Catalog } from '../../core/protocol';
import { buildModel, defaultModel } from '../../core/model/tuning';
import { addIntent, computeScores, dampClick, fitScore, type ClickState, type IntentState } from '../../core/model/scoring';
import { initialState } from '../../core/engine/state';
import { LATEST_RULES } from '../../core/protocol';
import { defaultCatalog } from '../../sequences/library';
import { at, DAY_MS, HOUR_MS, makeEvent, makeLead, pageView } from '../support/engineDriver';
import { traitsOf } from '../../core/model/lead';

const scoring = defaultModel.scoring;
const T0 = at('2025-03-03T09:00:00Z');
const SECOND = 1000;

const fitOf = (fields: Parameters<typeof makeLead>[0]) => fitScore(traitsOf(makeLead(fields)), scoring);
const rules = (parts: { rule: string }[]) => parts.map((p) => p.rule);
const pointsOf = (parts: { rule: string; points: number }[], rule: string) => parts.find((p) => p.rule === rule)?.points;
const emptyIntent = (now: number): IntentState => initialState(makeLead({ id: 'x' }), now, defaultModel, LATEST_RULES).intent;

describe('fit score from the ideal customer profile', () => {
  it('gives industry points for an ICP industry, whatever its case', () => {
    const parts = fitOf({ id: 'a', industry: 'SaaS' });
    expect(parts).toContainEqual({ rule: 'fit:industry=saas', points: scoring.fitPoints.industry });
    expect(fitOf({ id: 'b', industry: 'retail' })).toEqual([]);
  });

  it('gives company-size points inside the ICP range, bounds included', () => {
    const { min, max } = scoring.icp.companySize;
    for (const size of [min, 300, max]) expect(rules(fitOf({ id: 'a', companySize: size }))).toEqual(['fit:company_size']);
    for (const size of [min - 1, max + 1, 0]) expect(fitOf({ id: 'a', companySize: size })).toEqual([]);
  });

  it('gives country points for an ICP country only', () => {
    expect(fitOf({ id: 'a', country: 'de' })).toEqual([{ rule: 'fit:country=DE', points: scoring.fitPoints.country }]);
    expect(fitOf({ id: 'a', country: 'BR' })).toEqual([]);
  });

  it('scores seniority by whole title keywords, the first keyword of the model that matches', () => {
    const seniority = (title: string) => fitOf({ id: 'a', title }).filter((p) => p.rule.startsWith('fit:title~'));
    expect(seniority('Chief Revenue Officer')).toEqual([{ rule: 'fit:title~chief', points: 20 }]);
    expect(seniority('VP of Sales')).toEqual([{ rule: 'fit:title~vp', points: 20 }]);
    expect(seniority('Senior Engineer')).toEqual([{ rule: 'fit:title~engineer', points: 5 }]);
    // Only one keyword counts, the first in the model's order: 'vp' comes before 'lead'.
    expect(seniority('VP and Lead Architect')).toEqual([{ rule: 'fit:title~vp', points: 20 }]);
    // Whole words only: 'leadership' is not 'lead', 'engineering' is not 'engineer'.
    expect(seniority('Leadership Coach')).toEqual([]);
    expect(seniority('Engineering Intern')).toEqual([{ rule: 'fit:title~intern', points: -10 }]);
  });

  it('subtracts points for a free-mail address', () => {
    expect(fitOf({ id: 'a', email: 'Dana@GMail.com' })).toEqual([{ rule: 'fit:free_mail_domain', points: scoring.fitPoints.freeMail }]);
    expect(scoring.fitPoints.freeMail).toBeLessThan(0);
    expect(fitOf({ id: 'a', email: 'dana@northwind.example' })).toEqual([]);
  });

  it("subtracts points for a competitor's domain", () => {
    const model = buildModel({ scoring: { icp: { competitorDomains: ['rival.io'] } } }).scoring;
    expect(fitScore(traitsOf(makeLead({ id: 'a', email: 'spy@rival.io' })), model)).toEqual([{ rule: 'fit:competitor_domain', points: -50 }]);
    // The rest of the ICP keeps its defaults when only competitors are configured.
    expect(model.icp.industries).toEqual(scoring.icp.industries);
  });

  it('adds the parts up into the fit score', () => {
    const lead = makeLead({ id: 'a', industry: 'software', companySize: 200, country: 'DE', title: 'Head of Ops', email: 'dana@gmail.com' });
    const scores = computeScores({ profile: traitsOf(lead), intent: emptyIntent(T0), lastEngagedAt: T0 }, T0, scoring);
    // 15 industry + 15 size + 5 country + 15 head − 10 free mail.
    expect(scores.fit).toBe(15 + 15 + 5 + 15 - 10);
    expect(scores.intent).toBe(0);
    expect(scores.total).toBe(scores.fit);
  });
});

describe('intent decay', () => {
  it('halves an event worth 10 after the 30-day half-life, and halves it again after another 30 days', () => {
    const intent = addIntent(emptyIntent(T0), 'page_view:pricing', 10, T0, scoring);
    const score = (now: number) => computeScores({ profile: makeLead({ id: 'x' }), intent, lastEngagedAt: now }, now, scoring);
    expect(score(T0).intent).toBe(10);
    expect(score(T0 + 30 * DAY_MS).intent).toBe(5);
    expect(score(T0 + 60 * DAY_MS).intent).toBe(2.5);
    expect(pointsOf(score(T0 + 30 * DAY_MS).parts, 'intent:page_view:pricing')).toBe(5);
  });

  it('counts an event that happened 30 days ago at half its weight when it arrives now', () => {
    const now = T0 + 30 * DAY_MS;
    const intent = addIntent(emptyIntent(now), 'form_submit', 10, T0, scoring);
    expect(computeScores({ profile: makeLead({ id: 'x' }), intent, lastEngagedAt: now }, now, scoring).intent).toBe(5);
  });

  it('decays recent and old events each by their own age', () => {
    let intent = addIntent(emptyIntent(T0), 'page_view:pricing', 10, T0, scoring);
    intent = addIntent(intent, 'demo_request', 30, T0 + 30 * DAY_MS, scoring);
    const scores = computeScores({ profile: makeLead({ id: 'x' }), intent, lastEngagedAt: T0 + 30 * DAY_MS }, T0 + 30 * DAY_MS, scoring);
    expect(pointsOf(scores.parts, 'intent:page_view:pricing')).toBe(5);
    expect(pointsOf(scores.parts, 'intent:demo_request')).toBe(30);
    expect(scores.intent).toBe(35);
  });

  it('applies the half-life to a pricing view the engine has recorded', () => {
    const catalog = defaultCatalog({ holdoutPercent: 0 });
    const { state } = createLead(makeLead({ id: 'decay-1' }), T0, catalog);
    const after = step(state, { kind: 'event', event: pageView('pricing', T0 + HOUR_MS) }, T0 + HOUR_MS, catalog).state;
    expect(pointsOf(scoresOf(after, T0 + HOUR_MS, catalog.model).parts, 'intent:page_view:pricing')).toBe(10);
    expect(pointsOf(scoresOf(after, T0 + HOUR_MS + 30 * DAY_MS, catalog.model).parts, 'intent:page_view:pricing')).toBe(5);
  });

  it('equals the sum of every event worth halved once per 30 days of its age, over years and in any arrival order', () => {
    const YEAR = 365 * DAY_MS;
    const eventArb = fc.record({
      rule: fc.constantFrom('page_view:pricing', 'demo_request', 'page_view:careers', 'email_click'),
      points: fc.integer({ min: -30, max: 30 }).filter((p) => p !== 0),
      at: fc.integer({ min: 0, max: 8 * YEAR }),
    });
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 60 * DAY_MS }), (list, after) => {
        let intent = emptyIntent(T0);
        for (const e of list) intent = addIntent(intent, e.rule, e.points, T0 + e.at, scoring);
        const now = T0 + Math.max(...list.map((e) => e.at)) + after;
        const naive = list.reduce((sum, e) => sum + e.points * Math.pow(0.5, (now - T0 - e.at) / (30 * DAY_MS)), 0);
        const scores = computeScores({ profile: makeLead({ id: 'x' }), intent, lastEngagedAt: now }, now, scoring);
        // Totals are rounded to a tenth; parts that faded below a hundredth may be dropped.
        expect(Math.abs(scores.intent - naive)).toBeLessThanOrEqual(0.05 + 0.01 * list.length + 1e-9);
      }),
      { numRuns: 300 },
    );
  });
});

describe('negative scoring', () => {
  const catalog: Catalog = defaultCatalog({ holdoutPercent: 0 });
  const lead = makeLead({ id: 'neg-1' });
  const now = T0 + HOUR_MS;
  const afterEvent = (event: ReturnType<typeof makeEvent>) => {
    const { state } = createLead(lead, T0, catalog);
    return scoresOf(step(state, { kind: 'event', event }, now, catalog).state, now, catalog.model);
  };

  it('subtracts 10 for a careers page view (a job seeker)', () => {
    const scores = afterEvent(pageView('careers', now));
    expect(pointsOf(scores.parts, 'intent:page_view:careers')).toBe(-10);
    expect(scores.intent).toBe(-10);
  });

  it('subtracts 20 for an unsubscribe', () => {
    expect(pointsOf(afterEvent(makeEvent('unsubscribe', now, { channel: 'email' })).parts, 'intent:unsubscribe')).toBe(-20);
  });

  it('subtracts 25 for a hard bounce and nothing for a soft one', () => {
    expect(pointsOf(afterEvent(makeEvent('email_bounce', now, { hard: true })).parts, 'intent:email_bounce:hard')).toBe(-25);
    expect(afterEvent(makeEvent('email_bounce', now, { hard: false })).intent).toBe(0);
  });

  it('subtracts 10 after 45 days of silence, counted from the last intent signal', () => {
    const { state } = createLead(lead, T0, catalog);
    const silenceAfter = 45 * DAY_MS;
    expect(rules(scoresOf(state, T0 + silenceAfter - 1, catalog.model).parts)).not.toContain('intent:long_silence');
    expect(pointsOf(scoresOf(state, T0 + silenceAfter, catalog.model).parts, 'intent:long_silence')).toBe(-10);

    // A pricing view on day 10 moves the start of the silence to day 10.
    const engaged = step(state, { kind: 'event', event: pageView('pricing', T0 + 10 * DAY_MS) }, T0 + 10 * DAY_MS, catalog).state;
    expect(rules(scoresOf(engaged, T0 + silenceAfter, catalog.model).parts)).not.toContain('intent:long_silence');
    expect(pointsOf(scoresOf(engaged, T0 + 10 * DAY_MS + silenceAfter, catalog.model).parts, 'intent:long_silence')).toBe(-10);
  });
});

describe('bot damping of email clicks', () => {
  const fresh: ClickState = { clicksInWindow: 0, botSuspected: false };
  const clickAll = (times: number[], lastEmailSentAt?: number) => {
    let clicks = fresh;
    const counted: boolean[] = [];
    for (const t of times) {
      const damped = dampClick(clicks, t, lastEmailSentAt, scoring);
      clicks = damped.clicks;
      counted.push(damped.counts);
    }
    return { clicks, counted };
  };

  it('marks more than 5 clicks in 60 seconds as a suspected bot, and counts the burst once', () => {
    const six = clickAll([0, 10, 20, 30, 40, 50].map((s) => T0 + s * SECOND));
    expect(six.clicks.botSuspected).toBe(true);
    expect(six.counted).toEqual([true, false, false, false, false, false]);
  });

  it('does not suspect a bot for 5 clicks in 60 seconds', () => {
    const five = clickAll([0, 10, 20, 30, 40].map((s) => T0 + s * SECOND));
    expect(five.clicks.botSuspected).toBe(false);
    expect(five.counted.filter(Boolean)).toHaveLength(1);
  });

  it('counts a click again once the 60-second window has passed', () => {
    expect(clickAll([T0, T0 + 59 * SECOND, T0 + 60 * SECOND]).counted).toEqual([true, false, true]);
  });

  it('marks a click within 10 seconds of an email going out as a link scanner', () => {
    const sentAt = T0;
    expect(dampClick(fresh, sentAt + 5 * SECOND, sentAt, scoring).clicks.botSuspected).toBe(true);
    expect(dampClick(fresh, sentAt + 10 * SECOND, sentAt, scoring).clicks.botSuspected).toBe(false);
    expect(dampClick(fresh, sentAt + HOUR_MS, sentAt, scoring).clicks.botSuspected).toBe(false);
  });

  it('adds the click points of a six-click storm once in the engine, and marks the lead', () => {
    const catalog = defaultCatalog({ holdoutPercent: 0 });
    let { state } = createLead(makeLead({ id: 'storm-1' }), T0, catalog);
    const stormAt = T0 + 2 * HOUR_MS;
    for (let i = 0; i < 6; i++) {
      const t = stormAt + i * 10 * SECOND;
      state = step(state, { kind: 'event', event: makeEvent('email_click', t) }, t, catalog).state;
    }
    expect(state.clicks.botSuspected).toBe(true);
    expect(state.aggregates.email_click?.count).toBe(6);
    expect(pointsOf(scoresOf(state, stormAt + 60 * SECOND, catalog.model).parts, 'intent:email_click')).toBe(scoring.intentWeights.email_click);
  });

  it('marks the lead when a click comes 5 seconds after the engine sent an email', () => {
    const catalog = defaultCatalog({ holdoutPercent: 0 });
    const created = createLead(makeLead({ id: 'scan-1', title: 'VP Finance' }), T0, catalog);
    // Monday 09:00 UTC is inside the email window: the first email goes out at once.
    expect(created.commands.some((c) => c.type === 'send' && c.touch.channel === 'email')).toBe(true);
    expect(created.state.lastEmailSentAt).toBe(T0);
    const click = makeEvent('email_click', T0 + 5 * SECOND);
    const after = step(created.state, { kind: 'event', event: click }, T0 + 5 * SECOND, catalog).state;
    expect(after.clicks.botSuspected).toBe(true);
  });

  // A click this soon after delivery is "a link scanner, not a person" (core/model/tuning.ts), and the
  // domain rule is that bot-like behaviour is discounted, not rewarded: it must not earn intent
  // points nor re-accelerate the cadence as if the lead had answered.
  it('does not reward a link-scanner click with intent points or re-acceleration', () => {
    const catalog = defaultCatalog({ holdoutPercent: 0 });
    const created = createLead(makeLead({ id: 'scan-2', title: 'VP Finance' }), T0, catalog);
    const click = makeEvent('email_click', T0 + 5 * SECOND);
    const after = step(created.state, { kind: 'event', event: click }, T0 + 5 * SECOND, catalog).state;
    expect(scoresOf(after, T0 + 5 * SECOND, catalog.model).intent).toBe(0);
    expect(after.lastIntentAt).toBeUndefined();
  });
});

describe('re-scoring on a profile change', () => {
  it('re-scores fit when the title changes, and qualifies the lead when the new fit is enough', () => {
    const catalog = defaultCatalog({ holdoutPercent: 0 });
    // Fit 10 (engineer 5 + country 5) and intent 25 (whitepaper 10 + webinar 15): interested, but
    // under the MQL fit of 20.
    const created = createLead(makeLead({ id: 'title-1', country: 'DE', title: 'Engineer' }), T0, catalog);
    let state = step(created.state, { kind: 'event', event: makeEvent('content_download', T0 + HOUR_MS, { assetId: 'wp', kind: 'whitepaper' }) }, T0 + HOUR_MS, catalog).state;
    state = step(state, { kind: 'event', event: makeEvent('event_attended', T0 + HOUR_MS, { eventName: 'Webinar' }) }, T0 + HOUR_MS, catalog).state;
    expect(scoresOf(state, T0 + HOUR_MS, catalog.model)).toMatchObject({ fit: 10, intent: 25 });
    expect(state.stage).toBe('lead');

    const now = T0 + DAY_MS;
    const promoted = step(state, { kind: 'profile', profile: { title: 'VP Engineering' } }, now, catalog);
    const scores = scoresOf(promoted.state, now, catalog.model);
    // 'engineer' (5) is replaced by 'vp' (20): 5 + 20.
    expect(scores.fit).toBe(25);
    expect(rules(scores.parts)).toContain('fit:title~vp');
    expect(rules(scores.parts)).not.toContain('fit:title~engineer');
    expect(promoted.state.stage).toBe('mql');
    expect(promoted.commands).toContainEqual(expect.objectContaining({ type: 'changeStage', from: 'lead', to: 'mql', at: now }));
    // Untouched fields of the profile stay as they were.
    expect(promoted.state.profile.country).toBe('DE');
  });

  it('lowers fit again when the new title carries no seniority', () => {
    const catalog = defaultCatalog({ holdoutPercent: 0 });
    const created = createLead(makeLead({ id: 'title-2', title: 'Chief Financial Officer' }), T0, catalog);
    expect(scoresOf(created.state, T0, catalog.model).fit).toBe(20);
    const after = step(created.state, { kind: 'profile', profile: { title: 'Consultant' } }, T0 + DAY_MS, catalog).state;
    expect(scoresOf(after, T0 + DAY_MS, catalog.model).fit).toBe(0);
  });
});
