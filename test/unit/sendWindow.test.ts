import { LEGAL_SMS_WINDOW } from '../../core/model/tuning';
import { formatSendWindow, isInsideWindow, nextOpenInstant, parseSendWindow, sendWindowSchema, sendWindowsSchema, sendWindowsText, windowWithin } from '../../core/model/sendWindow';
import { at } from '../support/engineDriver';

const MON_FRI = [1, 2, 3, 4, 5];
const ALL_DAYS = [1, 2, 3, 4, 5, 6, 7];

describe('parseSendWindow', () => {
  it('reads hours and a weekday range', () => {
    expect(parseSendWindow('08:00-18:00,mon-fri')).toEqual({ startMinute: 8 * 60, endMinute: 18 * 60, days: MON_FRI });
  });

  it('opens every day when no days are given', () => {
    expect(parseSendWindow('09:00-20:00')).toEqual({ startMinute: 9 * 60, endMinute: 20 * 60, days: ALL_DAYS });
  });

  it('reads a single day', () => {
    expect(parseSendWindow('10:30-12:15,sat')).toEqual({ startMinute: 10 * 60 + 30, endMinute: 12 * 60 + 15, days: [6] });
  });

  it('wraps a day range around the week end (fri-mon is Friday, Saturday, Sunday, Monday)', () => {
    expect(parseSendWindow('09:00-17:00,fri-mon').days).toEqual([1, 5, 6, 7]);
    expect(parseSendWindow('09:00-17:00,sun-sat').days).toEqual(ALL_DAYS);
  });

  it('reads 00:00-24:00 as the whole day, midnight to midnight', () => {
    expect(parseSendWindow('00:00-24:00,mon-sun')).toEqual({ startMinute: 0, endMinute: 1440, days: ALL_DAYS });
  });

  it('ignores case and surrounding blanks', () => {
    expect(parseSendWindow('  08:00-18:00,MON-FRI ')).toEqual(parseSendWindow('08:00-18:00,mon-fri'));
  });

  it.each([
    ['8:00-18:00', /HH:MM-HH:MM/],
    ['08:00-18:00,monday', /HH:MM-HH:MM/],
    ['08:00 to 18:00', /HH:MM-HH:MM/],
    ['18:00-08:00', /end after it starts/],
    ['09:00-09:00', /end after it starts/],
    ['08:60-09:00', /not on the clock/],
    ['24:00-24:00', /not on the clock/],
    ['08:00-24:01', /not on the clock/],
    ['08:00-18:00,mon-xyz', /days must be among/],
  ])('rejects %j', (text, message) => {
    expect(() => parseSendWindow(text)).toThrow(message);
  });

  it('names the offending text when used as a schema', () => {
    const result = sendWindowSchema.safeParse('18:00-08:00');
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toContain('"18:00-08:00"');
  });

  it('formats a window for messages: hours, then the whole week or the days one by one', () => {
    expect(formatSendWindow(parseSendWindow('00:00-24:00'))).toBe('00:00-24:00,mon-sun');
    expect(formatSendWindow(parseSendWindow('08:05-18:00,mon-fri'))).toBe('08:05-18:00,mon+tue+wed+thu+fri');
    expect(formatSendWindow(parseSendWindow('09:00-17:00,fri-mon'))).toBe('09:00-17:00,mon+fri+sat+sun');
  });
});

describe('nextOpenInstant', () => {
  const email = parseSendWindow('08:00-18:00,mon-fri');
  const sms = parseSendWindow('09:00-20:00,mon-sun');

  it('is the instant itself inside the window', () => {
    const monday = at('2025-03-03T10:00:00Z');
    expect(nextOpenInstant(monday, email, 'UTC')).toBe(monday);
    expect(isInsideWindow(monday, email, 'UTC')).toBe(true);
  });

  it("is the same day's opening before the window opens", () => {
    expect(nextOpenInstant(at('2025-03-03T06:59:00Z'), email, 'UTC')).toBe(at('2025-03-03T08:00:00Z'));
  });

  it("treats the end as exclusive: at the closing minute it is the next day's opening", () => {
    expect(nextOpenInstant(at('2025-03-03T18:00:00Z'), email, 'UTC')).toBe(at('2025-03-04T08:00:00Z'));
    expect(nextOpenInstant(at('2025-03-03T17:59:59.999Z'), email, 'UTC')).toBe(at('2025-03-03T17:59:59.999Z'));
  });

  it('skips the weekend for a weekday window: Friday evening opens Monday morning', () => {
    expect(nextOpenInstant(at('2025-03-07T18:30:00Z'), email, 'UTC')).toBe(at('2025-03-10T08:00:00Z'));
    expect(isInsideWindow(at('2025-03-08T12:00:00Z'), email, 'UTC')).toBe(false);
  });

  it("reads the window in the lead's zone", () => {
    // 07:00 UTC on a January Monday is 08:00 in Berlin (CET, UTC+1) but 02:00 in New York (EST, UTC−5).
    const from = at('2025-01-06T07:00:00Z');
    expect(nextOpenInstant(from, email, 'Europe/Berlin')).toBe(from);
    expect(nextOpenInstant(from, email, 'America/New_York')).toBe(at('2025-01-06T13:00:00Z'));
    // Monday afternoon in Los Angeles is already Tuesday morning (09:30) in Tokyo.
    expect(nextOpenInstant(at('2025-01-07T00:30:00Z'), email, 'Asia/Tokyo')).toBe(at('2025-01-07T00:30:00Z'));
  });

  it("follows the lead's zone into summer time (Europe/Berlin, last Sunday of March)", () => {
    // Friday 28 March 2025, 20:00 in Berlin (CET, UTC+1): closed. The clocks go forward on Sunday
    // the 30th, so Monday 08:00 is CEST (UTC+2): 06:00 UTC, not the 07:00 UTC of the week before.
    expect(nextOpenInstant(at('2025-03-28T19:00:00Z'), email, 'Europe/Berlin')).toBe(at('2025-03-31T06:00:00Z'));
    expect(nextOpenInstant(at('2025-03-27T19:00:00Z'), email, 'Europe/Berlin')).toBe(at('2025-03-28T07:00:00Z'));
    // On the Sunday of the change itself, the daily SMS window opens at 09:00 CEST = 07:00 UTC.
    expect(nextOpenInstant(at('2025-03-29T20:00:00Z'), sms, 'Europe/Berlin')).toBe(at('2025-03-30T07:00:00Z'));
  });

  it('moves a window start that falls into the skipped hour forward past the gap', () => {
    // 02:30 does not exist in Berlin on 30 March 2025 (02:00 CET jumps to 03:00 CEST): the start
    // moves forward by the length of the gap, to 03:30 CEST = 01:30 UTC.
    const night = parseSendWindow('02:30-05:00,sun');
    const opens = nextOpenInstant(at('2025-03-30T00:00:00Z'), night, 'Europe/Berlin')!;
    expect(opens).toBe(at('2025-03-30T01:30:00Z'));
    // Whatever the resolution, it is never inside the gap: 03:00 CEST (01:00 UTC) at the earliest.
    expect(opens).toBeGreaterThanOrEqual(at('2025-03-30T01:00:00Z'));
  });

  it('follows the lead back to winter time (last Sunday of October)', () => {
    // Saturday 25 October 2025, 21:00 CEST; Sunday the 26th is CET again: 09:00 CET = 08:00 UTC.
    expect(nextOpenInstant(at('2025-10-25T19:00:00Z'), sms, 'Europe/Berlin')).toBe(at('2025-10-26T08:00:00Z'));
  });

  it('opens on the next allowed day of a wrapped range', () => {
    const weekend = parseSendWindow('10:00-12:00,fri-mon');
    // Tuesday → Friday.
    expect(nextOpenInstant(at('2025-03-04T11:00:00Z'), weekend, 'UTC')).toBe(at('2025-03-07T10:00:00Z'));
  });

  it('is undefined for a window with no days', () => {
    expect(nextOpenInstant(at('2025-03-03T10:00:00Z'), { startMinute: 0, endMinute: 60, days: [] }, 'UTC')).toBeUndefined();
  });

  it('is always open for 00:00-24:00, including across midnight', () => {
    const always = parseSendWindow('00:00-24:00,mon-sun');
    for (const iso of ['2025-03-08T23:59:59.999Z', '2025-03-09T00:00:00Z', '2025-03-30T01:30:00Z']) {
      expect(nextOpenInstant(at(iso), always, 'Europe/Berlin')).toBe(at(iso));
    }
  });
});

describe('windowWithin', () => {
  const legal = parseSendWindow(LEGAL_SMS_WINDOW);

  it('accepts the default SMS window inside the legal 08:00-21:00', () => {
    expect(windowWithin(parseSendWindow('09:00-20:00,mon-sun'), legal)).toBe(true);
    expect(windowWithin(legal, legal)).toBe(true);
  });

  it('rejects a window that starts earlier or ends later than the outer one', () => {
    expect(windowWithin(parseSendWindow('07:30-20:00'), legal)).toBe(false);
    expect(windowWithin(parseSendWindow('09:00-21:30'), legal)).toBe(false);
    expect(windowWithin(parseSendWindow('00:00-24:00'), legal)).toBe(false);
  });

  it('rejects a window open on a day the outer one is closed', () => {
    const weekdays = parseSendWindow('08:00-21:00,mon-fri');
    expect(windowWithin(parseSendWindow('09:00-20:00,mon-fri'), weekdays)).toBe(true);
    expect(windowWithin(parseSendWindow('09:00-20:00,fri-sat'), weekdays)).toBe(false);
  });
});

describe('sendWindowsText', () => {
  it.each([
    ['09:00-17:00,mon-fri', '09:00-17:00,mon-fri'],
    ['09:00-21:00,mon-sat;12:00-21:00,sun', '09:00-21:00,mon-sat;12:00-21:00,sun-sun'],
    ['08:00-20:00', '08:00-20:00,mon-sun'],
    ['10:00-16:00,fri-mon', '10:00-16:00,fri-mon'],
  ])('writes %s so that it reads back the same', (text, written) => {
    const windows = sendWindowsSchema.parse(text);
    expect(sendWindowsText(windows)).toBe(written);
    expect(sendWindowsSchema.parse(written)).toEqual(windows);
  });
});
