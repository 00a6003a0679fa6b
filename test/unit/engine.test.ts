import { createLead, scoresOf, step } from '../../core/engine';
import { type Catalog, type HandoffOutcome, type Touch } from '../../core/protocol';
import type { RecycleReason } from '../../core/model/tuning';
import type { LeadState } from '../../core/engine/state';
import { defaultCatalog } from '../../sequences/library';
import {
  at,
  commandsOf,
  DAY_MS,
  download,
  drive,
  events,
  HOUR_MS,
  makeEvent,
  makeLead,
  pageView,
  sendsOf,
  type TimedInput,
  type Trace,
} from '../support/engineDriver';

const catalog: Catalog = defaultCatalog({ holdoutPercent: 0 });
// Monday 3 March 2025, 09:00 UTC: inside every default send window for a lead in UTC or Berlin.
const T0 = at('2025-03-03T09:00:00Z');

const vp = (id: string) => makeLead({ id, title: 'VP Finance' });
/** Fit 35: industry 15 + size 15 + country 5. Under the MQL total of 40 until it shows some intent. */
const fit35 = (id: string) => makeLead({ id, industry: 'software', companySize: 200, country: 'DE' });
/** Fit 55: fit35 + 'vp' 20. An MQL as soon as it shows an intent of 10. */
const fit55 = (id: string) => makeLead({ id, industry: 'software', companySize: 200, country: 'DE', title: 'VP Engineering' });

const run = (lead: ReturnType<typeof makeLead>, days: number, inputs: TimedInput[] = [], sequenceId?: string) =>
  drive({ catalog, lead, start: T0, end: T0 + days * DAY_MS, inputs, ...(sequenceId ? { sequenceId } : {}) });

const firstSendAfter = (traces: Trace[], after: number): Touch | undefined => sendsOf(traces).find((touch) => touch.at > after);
const stagesOf = (traces: Trace[]) => commandsOf(traces, 'changeStage').map((c) => `${c.from}→${c.to}`);

describe('enrolment and the first touch', () => {
  it('sends the first touch at enrolment when the lead is inside its send window', () => {
    // 09:00 UTC is 10:00 in Berlin on a Monday: inside 08:00-18:00, mon-fri.
    const output = createLead(makeLead({ id: 'first-1', title: 'VP Finance', timezone: 'Europe/Berlin' }), T0, catalog);
    const enter = commandsOf([{ now: T0, input: 'create', output }], 'enterSequence');
    expect(enter).toEqual([expect.objectContaining({ sequenceId: 'economic-buyer', reason: 'routing', at: T0 })]);
    const sends = output.commands.flatMap((c) => (c.type === 'send' ? [c.touch] : []));
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({
      channel: 'email',
      template: 'economic-buyer/problem',
      sequenceId: 'economic-buyer',
      stepId: 'problem',
      touchNumber: 1,
      at: T0,
      idempotencyKey: `lead-first-1/${enter[0]!.version}/problem/1`,
      why: { tier: 'active', multiplier: 1 },
    });
    expect(sends[0]!.why.caps).toEqual([
      { cap: 'email', used: 0, limit: 3 },
      { cap: 'all', used: 0, limit: 4 },
    ]);
    // The next thing due is the end of the 3-day wait after the first email.
    expect(output.commands).toContainEqual({ type: 'wakeAt', at: T0 + 3 * DAY_MS });
  });

  it("defers a first touch at a closed hour to the window's opening in the lead's zone", () => {
    // Saturday 8 March, 15:00 UTC. US clocks go forward on Sunday 9 March, so Monday 08:00 in
    // New York is EDT (UTC−4): 12:00 UTC.
    const saturday = at('2025-03-08T15:00:00Z');
    const mondayOpen = at('2025-03-10T12:00:00Z');
    const result = drive({ catalog, lead: makeLead({ id: 'first-2', title: 'VP Finance', timezone: 'America/New_York' }), start: saturday, end: mondayOpen });
    const created = result.traces[0]!.output;
    expect(created.commands.some((c) => c.type === 'send')).toBe(false);
    expect(created.commands).toContainEqual(expect.objectContaining({ type: 'touchDeferred', stepId: 'problem', until: mondayOpen, reasons: ['window:email'] }));
    expect(sendsOf(result.traces).map((t) => t.at)).toEqual([mondayOpen]);
  });

  it('enrols in the sequence asked for instead of routing', () => {
    const output = createLead(vp('first-3'), T0, catalog, 'fast-track');
    expect(output.commands).toContainEqual(expect.objectContaining({ type: 'enterSequence', sequenceId: 'fast-track', reason: 'enrolled on request' }));
    expect(output.state.sequence?.id).toBe('fast-track');
  });

  it('routes by audience in order: search traffic, security, executives, practitioners, then education', () => {
    const routed = (fields: Omit<Parameters<typeof makeLead>[0], 'id'>) => createLead(makeLead({ id: 'route', ...fields }), T0, catalog).state.sequence?.id;
    expect(routed({ source: 'search', title: 'VP Sales' })).toBe('fast-track');
    expect(routed({ title: 'Head of Security' })).toBe('it-security');
    expect(routed({ industry: 'healthcare' })).toBe('it-security');
    expect(routed({ title: 'Chief Operating Officer' })).toBe('economic-buyer');
    expect(routed({ title: 'Operations Manager' })).toBe('end-user');
    expect(routed({})).toBe('education');
  });

  // The economic-buyer audience lists 'director'; it-security lists 'cto' and comes first in the
  // routing, and its title test is a substring test, so every "director" (d-i-r-e-c-t-o-r) is
  // routed to the IT-security sequence.
  it('routes a finance director to the economic-buyer sequence', () => {
    expect(createLead(makeLead({ id: 'route-dir', title: 'Director of Finance' }), T0, catalog).state.sequence?.id).toBe('economic-buyer');
  });
});

describe('cadence of a quiet lead', () => {
  it('stretches the gap after each unanswered touch, turns dormant and moves to the long-term pool', () => {
    const { traces, state } = run(vp('quiet-1'), 60);
    const touches = sendsOf(traces).filter((t) => t.sequenceId === 'economic-buyer');
    expect(touches.map((t) => t.stepId)).toEqual(['problem', 'solution', 'proof', 'roi-calculator']);
    // The multiplier a touch went out with: 1 for the first two (nothing unanswered before the
    // second), then ×1.5 per unanswered touch.
    expect(touches.map((t) => t.why.multiplier)).toEqual([1, 1, 1.5, 2.25]);
    expect(touches.map((t) => t.why.tier)).toEqual(['active', 'active', 'cooling', 'cooling']);
    // Each 3-day wait lasts 3 days × the multiplier after the touch before it (1, 1.5, 2.25), plus
    // at most a weekend's wait for the email window.
    const stretched = [1, 1.5, 2.25].map((m) => 3 * DAY_MS * m);
    const gaps = touches.slice(1).map((t, i) => t.at - touches[i]!.at);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(stretched[i]!);
      expect(gap).toBeLessThan(stretched[i]! + 3 * DAY_MS);
    });
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]!);

    expect(commandsOf(traces, 'enterSequence').map((c) => c.sequenceId)).toEqual(['economic-buyer', 'long-term-nurture']);
    expect(state.cadence.tier).toBe('dormant');
    expect(state.sequence?.id).toBe('long-term-nurture');
    expect(state.stage).toBe('lead');
  });

  it('moves a lead that turns dormant in the middle of a sequence to the long-term pool', () => {
    // Opted down, the education sequence outlasts 30 days of silence: the lead turns dormant in it.
    const { traces } = run(makeLead({ id: 'quiet-2' }), 90, events(makeEvent('opt_down', T0 + HOUR_MS)));
    const exit = commandsOf(traces, 'exitSequence').find((c) => c.reason === 'dormant: moved to the long-term pool');
    expect(exit).toMatchObject({ sequenceId: 'education' });
    // Silence makes a lead dormant after 30 days without intent (it never showed any).
    expect(exit!.at).toBeGreaterThanOrEqual(T0 + 30 * DAY_MS);
    expect(commandsOf(traces, 'enterSequence')).toContainEqual(expect.objectContaining({ sequenceId: 'long-term-nurture', reason: 'dormant', at: exit!.at }));
  });

  it('touches a lead in the long-term pool about monthly', () => {
    // The long-term sequence is "monthly, until interest returns": 30-day waits with maxMultiplier 1.
    const { traces } = run(vp('quiet-3'), 150);
    const longTerm = sendsOf(traces).filter((t) => t.sequenceId === 'long-term-nurture');
    expect(longTerm.length).toBeGreaterThanOrEqual(2);
    // 30 days, plus at most a weekend for the email window.
    expect(longTerm[1]!.at - longTerm[0]!.at).toBeLessThanOrEqual(33 * DAY_MS);
  });
});

describe('re-acceleration on intent', () => {
  // VP lead: touches Monday 09:00 and Thursday 09:00; after the second unanswered touch the lead
  // is cooling (×1.5) and the proof email is due 4.5 days later (Monday 21:00, so Tuesday 08:00).
  const friday10 = at('2025-03-07T10:00:00Z');

  it('returns a cooling lead to the active tier and brings the next touch within 24 h of a pricing view', () => {
    const { traces } = run(vp('fast-1'), 8, events(pageView('pricing', friday10)));
    const viewStep = traces.find((t) => t.now === friday10)!;
    expect(viewStep.before!.cadence).toMatchObject({ tier: 'cooling', multiplier: 1.5 });
    expect(viewStep.output.state.cadence).toMatchObject({ tier: 'active', multiplier: 1, unanswered: 0 });
    expect(viewStep.output.state.sequence!.dueAt!).toBeLessThanOrEqual(friday10 + 24 * HOUR_MS);
    const next = firstSendAfter(traces, friday10)!;
    expect(next.stepId).toBe('proof');
    expect(next.at - friday10).toBeLessThanOrEqual(24 * HOUR_MS);
    expect(next.why).toMatchObject({ tier: 'active', multiplier: 1 });

    // Without the view the same touch waits far longer.
    const quiet = firstSendAfter(run(vp('fast-1'), 8).traces, friday10)!;
    expect(quiet.stepId).toBe('proof');
    expect(quiet.at - friday10).toBeGreaterThan(24 * HOUR_MS);
  });

  it('brings the next touch to the next window opening when the signal comes at a closed hour, recording the deferral', () => {
    // Friday 17:30: pulled to 19:30, after the email window closed; the next opening is Monday 08:00.
    const view = at('2025-03-07T17:30:00Z');
    const { traces } = run(vp('fast-2'), 8, events(pageView('pricing', view)));
    const after = traces.filter((t) => t.now > view).flatMap((t) => t.output.commands);
    const firstTouchCommand = after.find((c) => c.type === 'send' || c.type === 'touchDeferred' || c.type === 'touchSkipped')!;
    expect(firstTouchCommand).toMatchObject({ type: 'touchDeferred', stepId: 'proof', until: at('2025-03-10T08:00:00Z') });
    expect(firstTouchCommand.type === 'touchDeferred' && firstTouchCommand.reasons).toContain('window:email');
    expect(firstSendAfter(traces, view)!.at).toBe(at('2025-03-10T08:00:00Z'));
    // Still earlier than without the signal.
    expect(firstSendAfter(run(vp('fast-2'), 8).traces, view)!.at).toBeGreaterThan(at('2025-03-10T08:00:00Z'));
  });

  it('does not pull the next touch forward for a signal that happened before the last touch', () => {
    // Reported on Friday, but it happened on Thursday before the 09:00 email: not an answer to it.
    const late = pageView('pricing', at('2025-03-06T08:00:00Z'));
    const { traces } = run(vp('fast-3'), 8, [{ at: friday10, input: { kind: 'event', event: late } }]);
    const quiet = run(vp('fast-3'), 8).traces;
    expect(firstSendAfter(traces, friday10)!.at).toBe(firstSendAfter(quiet, friday10)!.at);
  });
});

describe('consent', () => {
  it('stops every email after an email unsubscribe mid-sequence, skipping email steps with no_consent', () => {
    // An engineer gets the end-user sequence: email, email, in-app, email offer.
    const unsubscribeAt = T0 + DAY_MS;
    const { traces, state } = run(makeLead({ id: 'unsub-1', title: 'Engineer' }), 30, events(makeEvent('unsubscribe', unsubscribeAt, { channel: 'email' })));
    expect(commandsOf(traces, 'consentChanged')).toEqual([{ type: 'consentChanged', channel: 'email', granted: false, reason: 'unsubscribe', at: unsubscribeAt }]);
    expect(state.consentReasons.email).toBe('unsubscribe');
    const sends = sendsOf(traces);
    expect(sends.filter((t) => t.channel === 'email' && t.at >= unsubscribeAt)).toEqual([]);
    const skipped = commandsOf(traces, 'touchSkipped').filter((c) => c.channel === 'email');
    expect(skipped.map((c) => c.stepId)).toEqual(expect.arrayContaining(['how-to', 'checklist']));
    for (const skip of skipped) expect(skip.reason.startsWith('no_consent')).toBe(true);
    // Other channels carry on: the in-app tip still goes out.
    expect(sends.filter((t) => t.at > unsubscribeAt).map((t) => `${t.channel}:${t.stepId}`)).toContain('in_app:tip');
    // Unsubscribing from one channel is not leaving the funnel.
    expect(state.stage).toBe('lead');
  });

  it('takes a lead that unsubscribes from everything out of nurture', () => {
    const unsubscribeAt = T0 + DAY_MS;
    const { traces, state } = run(makeLead({ id: 'unsub-2', title: 'Engineer' }), 30, events(makeEvent('unsubscribe', unsubscribeAt, { channel: 'all' })));
    expect(state.stage).toBe('unsubscribed');
    expect(state.consent).toEqual({ email: false, sms: false, in_app: false });
    expect(commandsOf(traces, 'exitSequence')).toContainEqual(expect.objectContaining({ sequenceId: 'end-user', at: unsubscribeAt }));
    expect(sendsOf(traces).filter((t) => t.at >= unsubscribeAt)).toEqual([]);
  });

  it('closes the email channel on a send failure for an invalid address, with that reason', () => {
    const failedAt = T0 + HOUR_MS;
    const { traces, state } = run(vp('fail-1'), 10, [{ at: failedAt, input: { kind: 'sendFailed', channel: 'email', reason: 'invalid_address' } }]);
    expect(commandsOf(traces, 'consentChanged')).toEqual([{ type: 'consentChanged', channel: 'email', granted: false, reason: 'invalid_address', at: failedAt }]);
    expect(state.consent.email).toBe(false);
    expect(state.consentReasons.email).toBe('invalid_address');
    expect(sendsOf(traces).filter((t) => t.at > failedAt)).toEqual([]);
    expect(commandsOf(traces, 'touchSkipped')[0]).toMatchObject({ stepId: 'solution', reason: 'no_consent:invalid_address' });
  });

  it('ignores a failed webhook: it reaches our systems and has no consent', () => {
    const { state } = createLead(vp('fail-2'), T0, catalog);
    const output = step(state, { kind: 'sendFailed', channel: 'webhook', reason: 'suppressed' }, T0 + HOUR_MS, catalog);
    expect(output.state.consent).toEqual(state.consent);
    expect(output.commands.some((c) => c.type === 'consentChanged')).toBe(false);
  });

  it('closes email on a hard bounce but not on a soft one', () => {
    const { state } = createLead(vp('bounce-1'), T0, catalog);
    const soft = step(state, { kind: 'event', event: makeEvent('email_bounce', T0 + HOUR_MS, { hard: false }) }, T0 + HOUR_MS, catalog).state;
    expect(soft.consent.email).toBe(true);
    const hard = step(soft, { kind: 'event', event: makeEvent('email_bounce', T0 + 2 * HOUR_MS, { hard: true }) }, T0 + 2 * HOUR_MS, catalog).state;
    expect(hard.consent.email).toBe(false);
    expect(hard.consentReasons.email).toBe('hard_bounce');
  });
});

describe('opt-down', () => {
  it('lengthens the gaps of an opted-down lead and halves its email cap', () => {
    const quiet = sendsOf(run(vp('down-1'), 40).traces).filter((t) => t.sequenceId === 'economic-buyer');
    const optedTraces = run(vp('down-1'), 40, events(makeEvent('opt_down', T0 + HOUR_MS))).traces;
    const opted = sendsOf(optedTraces).filter((t) => t.sequenceId === 'economic-buyer');
    // The wait after the second (unanswered) touch is 3 days × 1.5, and twice that when opted down.
    const quietGap = quiet[2]!.at - quiet[1]!.at;
    const optedGap = opted[2]!.at - opted[1]!.at;
    expect(optedGap).toBeGreaterThanOrEqual(2 * 3 * DAY_MS * 1.5);
    expect(quietGap).toBeLessThan(2 * 3 * DAY_MS * 1.5);
    // Half of 3 emails a week is one: no two emails inside 7 days.
    opted.slice(1).forEach((t, i) => expect(t.at - opted[i]!.at).toBeGreaterThanOrEqual(7 * DAY_MS));
    expect(commandsOf(optedTraces, 'touchDeferred').some((c) => c.reasons.includes('cap:email'))).toBe(true);
  });
});

describe('holdout', () => {
  it('sends nothing to a holdout lead, yet scores and stages it', () => {
    const holdout = defaultCatalog({ holdoutPercent: 100 });
    const inputs = events(pageView('pricing', T0 + DAY_MS), download('whitepaper', T0 + 2 * DAY_MS), makeEvent('demo_request', T0 + 10 * DAY_MS));
    const { traces, state } = drive({ catalog: holdout, lead: fit35('hold-1'), start: T0, end: T0 + 60 * DAY_MS, inputs });
    expect(state.holdout).toBe(true);
    expect(commandsOf(traces, 'send')).toEqual([]);
    const skipped = commandsOf(traces, 'touchSkipped');
    expect(skipped.length).toBeGreaterThan(0);
    expect(new Set(skipped.map((c) => c.reason))).toEqual(new Set(['holdout']));
    expect(stagesOf(traces)).toContain('lead→mql');
  });
});

describe('qualification', () => {
  it('makes a lead an MQL when fit, intent and total reach the thresholds', () => {
    const created = createLead(fit35('mql-1'), T0, catalog);
    expect(created.state.stage).toBe('lead');
    const output = step(created.state, { kind: 'event', event: download('whitepaper', T0 + HOUR_MS) }, T0 + HOUR_MS, catalog);
    // Fit 35 ≥ 20, intent 10 ≥ 10 (an hour of decay rounds away) and total 45 ≥ 40.
    expect(output.state.stage).toBe('mql');
    expect(output.commands).toContainEqual({ type: 'changeStage', leadId: 'mql-1', from: 'lead', to: 'mql', reason: 'fit 35 ≥ 20, intent 10 ≥ 10 and total 45 ≥ 40', at: T0 + HOUR_MS });
  });

  it('does not make a well-fitting lead an MQL before it shows any interest', () => {
    // Fit 55 alone passes the total of 40, but an MQL also needs intent ≥ 10.
    const created = createLead(fit55('mql-0'), T0, catalog);
    expect(scoresOf(created.state, T0, catalog.model)).toMatchObject({ fit: 55, intent: 0, total: 55 });
    expect(created.state.stage).toBe('lead');
    // A blog post (2 points) is not enough interest; a case study download (8 more) is.
    const blog = step(created.state, { kind: 'event', event: pageView('blog', T0 + HOUR_MS) }, T0 + HOUR_MS, catalog);
    expect(blog.state.stage).toBe('lead');
    const study = step(blog.state, { kind: 'event', event: download('case_study', T0 + 2 * HOUR_MS) }, T0 + 2 * HOUR_MS, catalog);
    expect(study.state.stage).toBe('mql');
  });

  it('does not make a lead with too little fit an MQL, however engaged', () => {
    // Fit 15 (industry only) < 20; four whitepapers bring the total to 55.
    const lead = makeLead({ id: 'mql-2', industry: 'software' });
    const { state } = run(lead, 2, events(...[1, 2, 3, 4].map((h) => download('whitepaper', T0 + h * HOUR_MS))));
    expect(scoresOf(state, T0 + 5 * HOUR_MS, catalog.model).total).toBeGreaterThanOrEqual(40);
    expect(state.stage).toBe('lead');
  });

  it('starts exactly one handoff on a demo request, and none for a second while it is open', () => {
    const first = makeEvent('demo_request', T0 + DAY_MS);
    const second = makeEvent('demo_request', T0 + 2 * DAY_MS);
    const { traces, state } = run(makeLead({ id: 'demo-1' }), 5, events(pageView('pricing', T0 + 12 * HOUR_MS), first, second));
    const handoffs = commandsOf(traces, 'startHandoff');
    expect(handoffs).toHaveLength(1);
    expect(handoffs[0]!.handoff).toMatchObject({ id: 'handoff-demo-1-1', number: 1, reason: 'demo request', at: T0 + DAY_MS, leadId: 'demo-1' });
    // Sales gets the context: the pages read and the path that led here.
    expect(handoffs[0]!.handoff.recentPages.map((p) => p.category)).toEqual(['pricing']);
    expect(handoffs[0]!.handoff.path.map((p) => p.key)).toEqual(['page_view:pricing', 'demo_request']);
    expect(stagesOf(traces)).toEqual(['lead→mql']);
    expect(state.handoffs).toEqual({ count: 1, open: { id: 'handoff-demo-1-1', openedAt: T0 + DAY_MS } });
  });

  it('hands off when the score passes the threshold with a pricing view in the last 72 h', () => {
    const pricingAt = T0 + DAY_MS;
    const laterAt = pricingAt + DAY_MS;
    const { traces } = run(fit35('score-1'), 3, events(pageView('pricing', pricingAt), download('whitepaper', laterAt), makeEvent('event_attended', laterAt, { eventName: 'Webinar' })));
    const handoffs = commandsOf(traces, 'startHandoff');
    // 35 + ~9.8 (pricing, a day old) + 10 + 15 ≈ 69.8 ≥ 60; the whitepaper alone (≈ 54.8) is not enough.
    expect(handoffs).toHaveLength(1);
    expect(handoffs[0]!.handoff.at).toBe(laterAt);
    expect(handoffs[0]!.handoff.reason).toMatch(/^total [\d.]+ ≥ 60 and page_view:pricing within 72h$/);
    expect(handoffs[0]!.handoff.scores.total).toBeGreaterThanOrEqual(60);
    expect(traces.find((t) => t.output.commands.some((c) => c.type === 'startHandoff'))!.input).toMatchObject({ kind: 'event', event: { type: 'event_attended' } });
  });

  it('does not hand off on score when the high-intent action is older than 72 h', () => {
    const pricingAt = T0 + DAY_MS;
    const laterAt = pricingAt + 4 * DAY_MS;
    const { traces, state } = run(fit35('score-2'), 5, events(pageView('pricing', pricingAt), download('whitepaper', laterAt), makeEvent('event_attended', laterAt, { eventName: 'Webinar' })));
    // The score alone would qualify: 35 + ~9.1 (pricing, 4 days old) + 10 + 15 ≈ 69.1.
    expect(scoresOf(state, laterAt, catalog.model).total).toBeGreaterThanOrEqual(60);
    expect(commandsOf(traces, 'startHandoff')).toEqual([]);
  });
});

describe('sales outcomes', () => {
  const demoThenOutcome = (lead: ReturnType<typeof makeLead>, outcome: HandoffOutcome, reasonCode: RecycleReason | undefined, days: number, extra: TimedInput[] = []) =>
    run(lead, days, [
      ...events(makeEvent('demo_request', T0 + DAY_MS)),
      { at: T0 + 2 * DAY_MS, input: { kind: 'closeOpenHandoff', outcome, ...(reasonCode ? { reasonCode } : {}) } },
      ...extra,
    ]);
  const closedAt = T0 + 2 * DAY_MS;

  it('makes the lead an SQL when sales accepts, and ends its sequence', () => {
    // The fast-track sequence hands off from its own handoff step after a pricing-guide download.
    const lead = makeLead({ id: 'acc-1', source: 'search' });
    const { traces, state } = run(lead, 10, [
      ...events(download('pricing_guide', at('2025-03-06T12:00:00Z'))),
      { at: at('2025-03-07T09:00:00Z'), input: { kind: 'closeOpenHandoff', outcome: 'accepted' } },
    ]);
    expect(state.stage).toBe('sql');
    expect(commandsOf(traces, 'changeStage').at(-1)).toMatchObject({ from: 'mql', to: 'sql', reason: 'handoff accepted by sales' });
    expect(commandsOf(traces, 'exitSequence')).toContainEqual(expect.objectContaining({ sequenceId: 'fast-track', reason: 'handed off to sales' }));
    expect(state.handoffs.open).toBeUndefined();
    expect(state.sequence).toBeUndefined();
  });

  it('recycles the lead when sales rejects for bad timing, and re-enrols it in the long-term pool only after 60 days', () => {
    const recontactAt = closedAt + 60 * DAY_MS;
    // A pricing view while it rests neither enrols it again nor hands it off again.
    const { traces, state } = demoThenOutcome(makeLead({ id: 'rej-1' }), 'rejected', 'bad_timing', 70, events(pageView('pricing', closedAt + 10 * DAY_MS)));
    const closing = traces.find((t) => t.now === closedAt)!;
    expect(closing.output.commands).toContainEqual(expect.objectContaining({ type: 'changeStage', from: 'mql', to: 'recycled', reason: 'sales: bad_timing' }));
    expect(closing.output.state.stage).toBe('recycled');
    expect(closing.output.state.recontactAt).toBe(recontactAt);
    expect(closing.output.commands).toContainEqual({ type: 'wakeAt', at: recontactAt });

    const entries = commandsOf(traces, 'enterSequence').filter((c) => c.at > closedAt);
    expect(entries).toEqual([expect.objectContaining({ sequenceId: 'long-term-nurture', reason: 'recontact after recycling', at: recontactAt })]);
    expect(commandsOf(traces, 'startHandoff')).toHaveLength(1);
    expect(state.sequence?.id).toBe('long-term-nurture');
    expect(state.recontactAt).toBeUndefined();
  });

  // Recycling means "not now, maybe later": the lead rests in the long-term pool until its
  // recontact date. Its score has not changed in the instant sales turned it down, so the MQL rule
  // must not promote it straight back; the handoff rule already waits for recontactAt.
  it('keeps a recycled lead recycled while it rests, even when its score still meets the MQL thresholds', () => {
    const { traces } = demoThenOutcome(fit55('rej-2'), 'rejected', 'bad_timing', 3);
    const closing = traces.find((t) => t.now === closedAt)!;
    expect(closing.output.state.stage).toBe('recycled');
    expect(closing.output.commands.filter((c) => c.type === 'changeStage').map((c) => c.type === 'changeStage' && c.to)).toEqual(['recycled']);
  });

  it('disqualifies the lead when sales rejects it as not the ideal customer', () => {
    const { traces, state } = demoThenOutcome(makeLead({ id: 'rej-3' }), 'rejected', 'not_icp', 30, events(makeEvent('demo_request', closedAt + DAY_MS)));
    expect(state.stage).toBe('disqualified');
    expect(commandsOf(traces, 'changeStage').at(-1)).toMatchObject({ to: 'disqualified', reason: 'sales: not the ideal customer profile' });
    expect(state.recontactAt).toBeUndefined();
    // No more handoffs, no more nurture.
    expect(commandsOf(traces, 'startHandoff')).toHaveLength(1);
    expect(commandsOf(traces, 'enterSequence').filter((c) => c.at > closedAt)).toEqual([]);
    expect(step(state, { kind: 'enroll', sequenceId: 'education' }, closedAt + 2 * DAY_MS, catalog).reply).toEqual({ accepted: false, reason: 'the lead is disqualified, not in nurture' });
  });

  it('recycles an expired handoff as no_response and recontacts after 7 days', () => {
    const { traces } = demoThenOutcome(makeLead({ id: 'exp-1' }), 'no_response', undefined, 20);
    expect(commandsOf(traces, 'changeStage').at(-1)).toMatchObject({ to: 'recycled', reason: 'sales: no_response' });
    expect(commandsOf(traces, 'enterSequence').filter((c) => c.at > closedAt)).toEqual([expect.objectContaining({ sequenceId: 'long-term-nurture', at: closedAt + 7 * DAY_MS })]);
  });

  it('starts a second handoff on a demo request after the first was closed', () => {
    const { traces } = demoThenOutcome(makeLead({ id: 'again-1' }), 'rejected', 'bad_timing', 10, events(makeEvent('demo_request', closedAt + DAY_MS)));
    expect(commandsOf(traces, 'startHandoff').map((c) => [c.handoff.id, c.handoff.number])).toEqual([
      ['handoff-again-1-1', 1],
      ['handoff-again-1-2', 2],
    ]);
  });

  it('ignores an outcome for a handoff that is not the open one', () => {
    const { state } = run(makeLead({ id: 'other-1' }), 2, events(makeEvent('demo_request', T0 + DAY_MS)));
    const output = step(state, { kind: 'handoffOutcome', handoffId: 'handoff-someone-else-1', outcome: 'accepted' }, T0 + 2 * DAY_MS, catalog);
    expect(output.state.stage).toBe(state.stage);
    expect(output.state.handoffs).toEqual(state.handoffs);
  });
});

describe('events', () => {
  it('counts an event delivered twice with the same eventId once', () => {
    const { state } = createLead(vp('dup-1'), T0, catalog);
    const once = step(state, { kind: 'event', event: pageView('pricing', T0 + HOUR_MS, 'evt-dup') }, T0 + HOUR_MS, catalog);
    const twice = step(once.state, { kind: 'event', event: pageView('pricing', T0 + 2 * HOUR_MS, 'evt-dup') }, T0 + 2 * HOUR_MS, catalog);
    expect(twice.state.aggregates['page_view:pricing']).toEqual({ count: 1, lastAt: T0 + HOUR_MS });
    expect(twice.state.counters).toMatchObject({ events: 1, duplicates: 1 });
    expect(twice.state.intent).toEqual(once.state.intent);
    expect(twice.state.recent).toEqual(once.state.recent);
    expect(twice.commands.filter((c) => c.type !== 'wakeAt')).toEqual([]);
    expect(scoresOf(twice.state, T0 + 2 * HOUR_MS, catalog.model).intent).toBe(scoresOf(once.state, T0 + 2 * HOUR_MS, catalog.model).intent);
  });

  it('counts two different events of the same kind twice', () => {
    const { state } = run(vp('dup-2'), 1, events(pageView('pricing', T0 + HOUR_MS), pageView('pricing', T0 + 2 * HOUR_MS)));
    expect(state.aggregates['page_view:pricing']).toEqual({ count: 2, lastAt: T0 + 2 * HOUR_MS });
  });
});

describe('enrol and exit requests', () => {
  it('accepts an enrolment in a known sequence, leaving the current one', () => {
    const { state } = createLead(vp('enrol-1'), T0, catalog);
    const output = step(state, { kind: 'enroll', sequenceId: 'fast-track' }, T0 + DAY_MS, catalog);
    expect(output.reply).toEqual({ accepted: true });
    expect(output.commands).toContainEqual(expect.objectContaining({ type: 'exitSequence', sequenceId: 'economic-buyer', reason: 'enrolled in fast-track' }));
    expect(output.commands).toContainEqual(expect.objectContaining({ type: 'enterSequence', sequenceId: 'fast-track', reason: 'enrolled on request' }));
    expect(output.state.sequence?.id).toBe('fast-track');
    // 24 h after the last touch: spacing, caps and the window all allow the welcome email now.
    expect(output.commands).toContainEqual(expect.objectContaining({ type: 'send', touch: expect.objectContaining({ stepId: 'welcome', at: T0 + DAY_MS }) }));
  });

  it('rejects an enrolment in an unknown sequence with a reason, changing nothing', () => {
    const { state } = createLead(vp('enrol-2'), T0, catalog);
    const output = step(state, { kind: 'enroll', sequenceId: 'no-such-sequence' }, T0 + DAY_MS, catalog);
    expect(output.reply).toEqual({ accepted: false, reason: 'unknown sequence "no-such-sequence"' });
    expect(output.commands.filter((c) => c.type === 'enterSequence' || c.type === 'exitSequence')).toEqual([]);
    expect(output.state.sequence).toEqual(state.sequence);
  });

  it('rejects an enrolment while a sales handoff is open', () => {
    const { state } = run(makeLead({ id: 'enrol-3' }), 2, events(makeEvent('demo_request', T0 + DAY_MS)));
    const output = step(state, { kind: 'enroll', sequenceId: 'education' }, T0 + 2 * DAY_MS, catalog);
    expect(output.reply).toEqual({ accepted: false, reason: 'sales handoff handoff-enrol-3-1 is open' });
  });

  it('answers an exit request: accepted inside a sequence, rejected outside one', () => {
    const { state } = createLead(vp('exit-1'), T0, catalog);
    const exited = step(state, { kind: 'exit', reason: 'asked by the account owner' }, T0 + HOUR_MS, catalog);
    expect(exited.reply).toEqual({ accepted: true });
    expect(exited.commands).toContainEqual(expect.objectContaining({ type: 'exitSequence', reason: 'manual: asked by the account owner' }));
    expect(step(exited.state, { kind: 'exit', reason: 'again' }, T0 + 2 * HOUR_MS, catalog).reply).toEqual({ accepted: false, reason: 'the lead is in no sequence' });
  });
});

describe('the fast-track sequence: waitFor and branch', () => {
  // Search traffic: welcome Monday 09:00, wait 2 days, pricing-guide offer Wednesday 09:00, then
  // wait up to 3 days for the guide download; engaged leads go to sales, the others get a last call.
  const searchLead = (id: string) => makeLead({ id, source: 'search' });
  const offerAt = at('2025-03-05T09:00:00Z');

  it('hands off as soon as the pricing guide is downloaded during the wait', () => {
    const downloadAt = at('2025-03-06T12:00:00Z');
    const { traces } = run(searchLead('ft-1'), 20, events(download('pricing_guide', downloadAt)));
    expect(sendsOf(traces).map((t) => `${t.stepId}@${t.at}`)).toEqual([`welcome@${T0}`, `pricing-guide@${offerAt}`]);
    expect(commandsOf(traces, 'startHandoff')).toEqual([
      expect.objectContaining({ handoff: expect.objectContaining({ reason: 'sequence fast-track step handoff', at: downloadAt }) }),
    ]);
  });

  it('sends the last call and exits to the long-term pool when nothing happens before the timeout', () => {
    const { traces, state } = run(searchLead('ft-2'), 20);
    // The 3-day timeout ends on Saturday 09:00; the last call waits for Monday's email window.
    expect(commandsOf(traces, 'touchDeferred')).toContainEqual(expect.objectContaining({ stepId: 'last-call', at: offerAt + 3 * DAY_MS }));
    expect(sendsOf(traces).map((t) => `${t.sequenceId}/${t.stepId}`)).toEqual(['fast-track/welcome', 'fast-track/pricing-guide', 'fast-track/last-call', 'long-term-nurture/digest']);
    expect(sendsOf(traces)[2]!.at).toBe(at('2025-03-10T08:00:00Z'));
    expect(commandsOf(traces, 'exitSequence')).toContainEqual(expect.objectContaining({ sequenceId: 'fast-track', reason: 'exit step done: fast track finished without engagement' }));
    expect(commandsOf(traces, 'enterSequence')).toContainEqual(expect.objectContaining({ sequenceId: 'long-term-nurture', reason: 'after fast-track' }));
    // The pool's first touch keeps the gap between sequences, not the moment of the exit.
    expect(sendsOf(traces)[3]!.at - sendsOf(traces)[2]!.at).toBeGreaterThanOrEqual(3 * DAY_MS);
    expect(commandsOf(traces, 'startHandoff')).toEqual([]);
    expect(state.sequence?.id).toBe('long-term-nurture');
  });

  it('branches to the handoff at the timeout for a lead that clicked but never downloaded the guide', () => {
    const clickAt = at('2025-03-04T12:00:00Z');
    const { traces } = run(searchLead('ft-3'), 20, events(makeEvent('email_click', clickAt)));
    const sends = sendsOf(traces);
    expect(sends.map((t) => t.stepId)).toEqual(['welcome', 'pricing-guide']);
    // The click pulls the offer forward; the waitFor only ends on a download, so the branch runs
    // at its 3-day timeout and finds the click.
    const offer = sends[1]!;
    expect(offer.at).toBeLessThanOrEqual(clickAt + 24 * HOUR_MS);
    const handoffs = commandsOf(traces, 'startHandoff');
    expect(handoffs).toHaveLength(1);
    expect(handoffs[0]!.handoff.at).toBe(offer.at + 3 * DAY_MS);
  });
});

describe('exit goals', () => {
  it('leaves the sequence at once when an exitWhen goal holds', () => {
    const demoAt = T0 + DAY_MS + 3 * HOUR_MS;
    const { traces } = run(vp('goal-1'), 10, events(makeEvent('demo_request', demoAt)));
    // economic-buyer: exitWhen [meeting_booked, demo_request].
    expect(commandsOf(traces, 'exitSequence')).toEqual([expect.objectContaining({ sequenceId: 'economic-buyer', reason: 'goal: exitWhen[1]', at: demoAt })]);
    expect(sendsOf(traces).filter((t) => t.at >= demoAt)).toEqual([]);
  });

  it('makes a lead who books a meeting an SQL and ends its sequence', () => {
    const bookedAt = T0 + DAY_MS;
    const { traces, state } = run(vp('goal-2'), 10, events(makeEvent('meeting_booked', bookedAt)));
    expect(state.stage).toBe('sql');
    expect(commandsOf(traces, 'exitSequence')).toEqual([expect.objectContaining({ reason: 'goal: meeting booked', at: bookedAt })]);
    expect(sendsOf(traces).filter((t) => t.at >= bookedAt)).toEqual([]);
  });
});

describe('purity', () => {
  function deepFreeze<T>(value: T): T {
    if (value && typeof value === 'object' && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const child of Object.values(value)) deepFreeze(child);
    }
    return value;
  }

  it('never mutates the state it is given, and gives the same output for the same input', () => {
    const lead = makeLead({ id: 'pure-1', title: 'Engineer', phone: '+1 555 0100', consent: { sms: true }, timezone: 'America/New_York' });
    const inputs: TimedInput[] = [
      ...events(
        pageView('pricing', T0 + HOUR_MS),
        makeEvent('email_click', T0 + 2 * HOUR_MS),
        makeEvent('email_click', T0 + 2 * HOUR_MS + 5_000),
        makeEvent('opt_down', T0 + DAY_MS),
        pageView('careers', T0 + DAY_MS + HOUR_MS, 'evt-same'),
        pageView('careers', T0 + DAY_MS + 2 * HOUR_MS, 'evt-same'),
        makeEvent('unsubscribe', T0 + 4 * DAY_MS, { channel: 'sms' }),
        makeEvent('demo_request', T0 + 6 * DAY_MS),
        makeEvent('email_bounce', T0 + 20 * DAY_MS, { hard: true }),
      ),
      { at: T0 + 2 * DAY_MS, input: { kind: 'profile', profile: { title: 'VP Engineering' } } },
      { at: T0 + 3 * DAY_MS, input: { kind: 'pause' } },
      { at: T0 + 3 * DAY_MS + HOUR_MS, input: { kind: 'resume' } },
      { at: T0 + 3 * DAY_MS + 2 * HOUR_MS, input: { kind: 'consent', channel: 'in_app', granted: false, source: 'preference center' } },
      { at: T0 + 7 * DAY_MS, input: { kind: 'closeOpenHandoff', outcome: 'rejected', reasonCode: 'no_response' } },
      { at: T0 + 15 * DAY_MS, input: { kind: 'enroll', sequenceId: 'education' } },
      { at: T0 + 16 * DAY_MS, input: { kind: 'sendFailed', channel: 'email', reason: 'suppressed' } },
      { at: T0 + 30 * DAY_MS, input: { kind: 'stage', stage: 'customer', reason: 'closed won' } },
    ];
    const { traces } = run(lead, 40, inputs);
    expect(traces.length).toBeGreaterThan(inputs.length);
    for (const trace of traces) {
      if (!trace.before || trace.input === 'create') continue;
      const given = deepFreeze(structuredClone(trace.before) as LeadState);
      const snapshot = JSON.stringify(given);
      const again = step(given, trace.input, trace.now, catalog);
      expect(JSON.stringify(given)).toBe(snapshot);
      expect(again).toEqual(trace.output);
    }
  });
});
