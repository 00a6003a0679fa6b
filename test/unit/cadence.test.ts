import {
  afterIntent,
  afterSilence,
  afterTouch,
  capUse,
  emptySendLog,
  gapMs,
  initialCadence,
  nextSendSlot,
  recordSend,
  type CadenceState,
  type SendLog,
} from '../../core/model/cadence';
import { cadenceSchema, defaultModel, mergeCadence, type CadenceModel } from '../../core/model/tuning';
import { longTermNurture } from '../../sequences/library/longTerm';
import { at, DAY_MS, HOUR_MS } from '../support/engineDriver';

const model = defaultModel.cadence;
const WEEK = 7 * DAY_MS;
// 2025-03-03 is a Monday; all these instants are inside every default window (UTC).
const MON = at('2025-03-03T10:00:00Z');
const TUE = MON + DAY_MS;
const WED = MON + 2 * DAY_MS;
const THU = MON + 3 * DAY_MS;
const FRI = MON + 4 * DAY_MS;

const log = (entries: Partial<SendLog>): SendLog => ({ ...emptySendLog, ...entries });

describe('frequency caps', () => {
  it('uses the documented default caps: email 3, SMS 1, all channels 4 per 7 days', () => {
    expect(model.caps.email).toEqual({ limit: 3, window: '7d' });
    expect(model.caps.sms).toEqual({ limit: 1, window: '7d' });
    expect(model.caps.all).toEqual({ limit: 4, window: '7d' });
  });

  it('defers a fourth email in 7 days to the exact instant the oldest of the three ages out', () => {
    const sends = log({ email: [MON, TUE, WED] });
    const slot = nextSendSlot(sends, 'email', THU, ['UTC'], false, model)!;
    expect(slot.at).toBe(MON + WEEK);
    expect(slot.reasons).toEqual(['cap:email']);
    // One millisecond earlier all three are still inside the rolling window; at the instant, two are.
    expect(capUse(sends, 'email', MON + WEEK - 1, false, model)).toContainEqual({ cap: 'email', used: 3, limit: 3 });
    expect(capUse(sends, 'email', MON + WEEK, false, model)).toContainEqual({ cap: 'email', used: 2, limit: 3 });
  });

  it('lets an email out at once while the cap has room', () => {
    // The caps a send there finds used, for its audit.
    expect(nextSendSlot(log({ email: [MON, TUE] }), 'email', THU, ['UTC'], false, model)).toEqual({
      at: THU,
      reasons: [],
      caps: [
        { cap: 'email', used: 2, limit: 3 },
        { cap: 'all', used: 2, limit: 4 },
      ],
    });
  });

  it('defers a second SMS in 7 days until the first ages out', () => {
    const slot = nextSendSlot(log({ sms: [MON] }), 'sms', WED, ['UTC'], false, model)!;
    expect(slot).toEqual({ at: MON + WEEK, reasons: ['cap:sms'], caps: [{ cap: 'sms', used: 0, limit: 1 }, { cap: 'all', used: 0, limit: 4 }] });
  });

  it('defers a fifth touch over all channels to when the oldest of the four ages out', () => {
    const sends = log({ email: [MON, TUE], sms: [WED], in_app: [THU] });
    const slot = nextSendSlot(sends, 'email', FRI, ['UTC'], false, model)!;
    // The email cap itself has room (2 of 3): only the overall cap blocks.
    expect(slot).toEqual({ at: MON + WEEK, reasons: ['cap:all'], caps: [{ cap: 'email', used: 1, limit: 3 }, { cap: 'all', used: 3, limit: 4 }] });
  });

  it('does not count webhooks, which reach our systems, against any cap', () => {
    const sends = recordSend(log({ email: [MON, TUE, WED] }), 'webhook', THU, model);
    expect(sends).toEqual(log({ email: [MON, TUE, WED] }));
    expect(nextSendSlot(sends, 'webhook', THU, ['UTC'], false, model)).toEqual({ at: THU, reasons: [], caps: [] });
  });

  it('moves a cap deferral on to the next open window when the cap opens at a closed hour', () => {
    // Sat 1 and Sun 2 March in-app, Mon 3 and Tue 4 March email: four touches; a Wednesday email waits
    // for Saturday's to age out (Sat 8 March 12:00), when the weekday email window is shut: Monday 08:00.
    const sends = log({ in_app: [at('2025-03-01T12:00:00Z'), at('2025-03-02T12:00:00Z')], email: [MON, TUE] });
    const slot = nextSendSlot(sends, 'email', WED, ['UTC'], false, model)!;
    expect(slot.at).toBe(at('2025-03-10T08:00:00Z'));
    expect(slot.reasons.sort()).toEqual(['cap:all', 'window:email']);
  });

  it('halves the per-channel cap for an opted-down lead', () => {
    const sends = log({ email: [MON] });
    expect(nextSendSlot(sends, 'email', WED, ['UTC'], false, model)!.at).toBe(WED);
    // floor(3 / 2) = 1 email per 7 days.
    expect(nextSendSlot(sends, 'email', WED, ['UTC'], true, model)).toEqual({ at: MON + WEEK, reasons: ['cap:email'], caps: [{ cap: 'email', used: 0, limit: 1 }, { cap: 'all', used: 0, limit: 4 }] });
  });

  it('has no slot at all on a channel whose cap is zero', () => {
    const closed = cadenceSchema.parse({ caps: { sms: { limit: 0, window: '7d' } } });
    expect(nextSendSlot(emptySendLog, 'sms', MON, ['UTC'], false, closed)).toBeUndefined();
  });

  it('keeps only as many sends per channel as the largest cap can look at', () => {
    let sends = emptySendLog;
    for (let i = 0; i < 10; i++) sends = recordSend(sends, 'email', MON + i * DAY_MS, model);
    expect(sends.email).toHaveLength(Math.max(model.caps.email.limit, model.caps.all.limit));
    expect(sends.email.at(-1)).toBe(MON + 9 * DAY_MS);
  });
});

describe('minimum spacing', () => {
  it('keeps any two touches that reach the lead 20 hours apart, across channels', () => {
    const slot = nextSendSlot(log({ email: [MON] }), 'in_app', MON + 4 * HOUR_MS, ['UTC'], false, model)!;
    expect(slot).toMatchObject({ at: MON + 20 * HOUR_MS, reasons: ['cap:spacing'] });
  });

  it('lets a touch out exactly 20 hours after the last one', () => {
    expect(nextSendSlot(log({ in_app: [MON] }), 'in_app', MON + 20 * HOUR_MS, ['UTC'], false, model)).toMatchObject({ at: MON + 20 * HOUR_MS, reasons: [] });
  });

  it('pushes a spaced-out email on into its window', () => {
    // Monday 10:00 + 20 h = Tuesday 06:00, before the 08:00 opening of the email window.
    const slot = nextSendSlot(log({ sms: [MON] }), 'email', MON + HOUR_MS, ['UTC'], false, model)!;
    expect(slot.at).toBe(at('2025-03-04T08:00:00Z'));
    expect(slot.reasons.sort()).toEqual(['cap:spacing', 'window:email']);
  });

  it('follows the configured spacing', () => {
    const tight = cadenceSchema.parse({ minSpacing: '1h' });
    expect(nextSendSlot(log({ in_app: [MON] }), 'in_app', MON + 30 * 60_000, ['UTC'], false, tight)!.at).toBe(MON + HOUR_MS);
  });

  it('does not space webhooks', () => {
    expect(nextSendSlot(log({ email: [MON] }), 'webhook', MON + 1, ['UTC'], false, model)).toEqual({ at: MON + 1, reasons: [], caps: [] });
  });
});

describe('cadence tiers after touches', () => {
  /** n touches a day apart with no intent signal in between. */
  const silentTouches = (n: number, cadenceModel: CadenceModel = model): CadenceState[] => {
    const states: CadenceState[] = [];
    let cadence = initialCadence;
    for (let i = 0; i < n; i++) {
      cadence = afterTouch(cadence, undefined, MON + i * DAY_MS, cadenceModel);
      states.push(cadence);
    }
    return states;
  };

  it('stays active after the first touch: nothing was left unanswered yet', () => {
    expect(silentTouches(1)[0]).toEqual({ tier: 'active', multiplier: 1, unanswered: 0, lastTouchAt: MON });
  });

  it('stretches the gap after an unanswered touch by the cooling stretch each time', () => {
    const states = silentTouches(4);
    // 1.5^0, 1.5^1, 1.5^2, 1.5^3.
    expect(states.map((s) => s.multiplier)).toEqual([1, 1.5, 2.25, 3.375]);
    expect(states.map((s) => s.unanswered)).toEqual([0, 1, 2, 3]);
    expect(states.map((s) => s.tier)).toEqual(['active', 'cooling', 'cooling', 'cooling']);
  });

  it('turns dormant after 4 unanswered touches, with the multiplier held at its maximum of 4', () => {
    const states = silentTouches(6);
    expect(states[4]).toMatchObject({ tier: 'dormant', unanswered: 4, multiplier: 4 });
    expect(states[5]).toMatchObject({ tier: 'dormant', multiplier: 4 });
  });

  it('caps the multiplier at maxMultiplier', () => {
    const steep = cadenceSchema.parse({ coolingStretch: 3, maxMultiplier: 4, dormantAfterUnanswered: 10 });
    expect(silentTouches(4, steep).map((s) => s.multiplier)).toEqual([1, 3, 4, 4]);
  });

  it('treats a touch answered by an intent signal as answered', () => {
    const cooled = silentTouches(3)[2]!;
    const signalled = afterIntent(cooled);
    expect(signalled).toEqual({ ...cooled, tier: 'active', multiplier: 1, unanswered: 0 });
    const next = afterTouch(signalled, cooled.lastTouchAt! + HOUR_MS, cooled.lastTouchAt! + DAY_MS, model);
    expect(next).toMatchObject({ tier: 'active', multiplier: 1, unanswered: 0 });
  });

  it('does not count a signal at the very instant of the previous touch as its answer', () => {
    const first = afterTouch(initialCadence, undefined, MON, model);
    expect(afterTouch(first, MON, TUE, model)).toMatchObject({ unanswered: 1, multiplier: 1.5, tier: 'cooling' });
  });

  it('turns dormant after 30 days without intent, and not a moment before', () => {
    const active = afterTouch(initialCadence, undefined, MON, model);
    expect(afterSilence(active, MON, MON + 30 * DAY_MS - 1, model)).toBe(active);
    expect(afterSilence(active, MON, MON + 30 * DAY_MS, model).tier).toBe('dormant');
  });
});

describe('gaps', () => {
  const cadence = (tier: CadenceState['tier'], multiplier: number): CadenceState => ({ tier, multiplier, unanswered: 0 });

  it('is the base gap times the multiplier', () => {
    expect(gapMs(3 * DAY_MS, cadence('active', 1), false, model)).toBe(3 * DAY_MS);
    expect(gapMs(3 * DAY_MS, cadence('cooling', 1.5), false, model)).toBe(4.5 * DAY_MS);
  });

  it('doubles for an opted-down lead', () => {
    expect(gapMs(3 * DAY_MS, cadence('cooling', 1.5), true, model)).toBe(9 * DAY_MS);
  });

  it('is at least the 30-day dormant gap for a dormant lead', () => {
    expect(gapMs(3 * DAY_MS, cadence('dormant', 4), true, model)).toBe(30 * DAY_MS);
    expect(gapMs(20 * DAY_MS, cadence('dormant', 4), false, model)).toBe(80 * DAY_MS);
  });

  // The long-term pool runs with `maxMultiplier: 1` ("monthly, until interest returns"), and a
  // multiplier is bounded by maxMultiplier ("…up to this multiplier", core/model/tuning.ts). A lead that
  // arrives there stretched by an earlier sequence must still get 30-day gaps, not 30 × 3.375.
  it("never stretches a gap beyond the sequence's maxMultiplier (the long-term pool stays monthly)", () => {
    const longTerm = mergeCadence(model, longTermNurture.cadence);
    expect(longTerm.maxMultiplier).toBe(1);
    expect(gapMs(30 * DAY_MS, cadence('dormant', 3.375), false, longTerm)).toBe(30 * DAY_MS);
  });
});
