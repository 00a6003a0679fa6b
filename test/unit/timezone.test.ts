// Local time by integers and remembered instants gives what js-joda's ZonedDateTime gives, instant
// for instant, in zones with every kind of daylight saving: the references below are the
// ZonedDateTime-based code the engine used before, so running workflows replay to the same instants.
import { Instant, LocalDate, LocalTime, ZoneId, ZonedDateTime } from '@js-joda/core';
import '@js-joda/timezone';
import fc from 'fast-check';
import { nextInstantInsideAll, nextOpenInstant, type SendWindow } from '../../core/model/sendWindow';
import { dayOfWeekOf, instantOfLocal, instantOfLocalDay, localDay, localEpochDay } from '../../core/model/timezone';

const ZONES = [
  'America/New_York',
  'Europe/London',
  'Australia/Lord_Howe', // a 30-minute shift
  'Asia/Kolkata', // a half-hour offset, no DST
  'Pacific/Chatham', // +12:45 / +13:45
  'America/Sao_Paulo', // DST until 2019, then none
  'UTC',
  'Europe/Dublin', // "negative" DST in the tz data: winter is the saving time
  'Africa/Casablanca', // DST suspended every Ramadan
  'Pacific/Apia', // skipped 30 December 2011 whole
  'America/St_Johns',
  'Asia/Kathmandu',
];

const DAY_MS = 86_400_000;
const FROM = Date.UTC(1990, 0, 1);
const TO = Date.UTC(2045, 0, 1);

// --- the references: the former ZonedDateTime code --------------------------------------------

const dateOf = (date: string) => LocalDate.of(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));

const reference = {
  localDay(epochMs: number, zone: string) {
    const local = ZonedDateTime.ofInstant(Instant.ofEpochMilli(epochMs), ZoneId.of(zone));
    return { date: local.toLocalDate().toString(), dayOfWeek: local.dayOfWeek().value(), minuteOfDay: local.hour() * 60 + local.minute() };
  },
  instantOfLocal(date: string, minuteOfDay: number, zone: string): number {
    const day = dateOf(date).plusDays(Math.floor(minuteOfDay / 1440));
    const minute = minuteOfDay % 1440;
    return ZonedDateTime.of(day, LocalTime.of(Math.floor(minute / 60), minute % 60), ZoneId.of(zone)).toInstant().toEpochMilli();
  },
  nextOpenInstant(from: number, window: SendWindow, zone: string): number | undefined {
    const today = reference.localDay(from, zone).date;
    for (let offset = 0; offset <= 7; offset++) {
      const date = dateOf(today).plusDays(offset).toString();
      if (!window.days.includes(dateOf(date).dayOfWeek().value())) continue;
      const opens = reference.instantOfLocal(date, window.startMinute, zone);
      const closes = reference.instantOfLocal(date, window.endMinute, zone);
      const candidate = Math.max(from, opens);
      if (candidate < closes) return candidate;
    }
    return undefined;
  },
  nextInstantInsideAll(from: number, rules: SendWindow[][], zones: readonly string[]): number | undefined {
    let at = from;
    for (let round = 0; round < 2_000 && at <= from + 14 * DAY_MS; round++) {
      let latest = at;
      for (const zone of zones) {
        for (const rule of rules) {
          const opens = rule.map((window) => reference.nextOpenInstant(at, window, zone)).filter((instant): instant is number => instant !== undefined);
          if (!opens.length) return undefined;
          latest = Math.max(latest, Math.min(...opens));
        }
      }
      if (latest === at) return at;
      at = latest;
    }
    return undefined;
  },
};

// --- instants worth trying: every offset change of each zone, and any instant ------------------

/** The instants (to the millisecond) at which the zone's offset changes between FROM and TO, found by day and then by halving. */
function transitionsOf(zone: string): number[] {
  const rules = ZoneId.of(zone).rules();
  const offsetAt = (ms: number) => rules.offsetOfEpochMilli(ms).totalSeconds();
  const found: number[] = [];
  for (let day = FROM; day < TO; day += DAY_MS) {
    if (offsetAt(day) === offsetAt(day + DAY_MS)) continue;
    let [before, after] = [day, day + DAY_MS];
    while (after - before > 1) {
      const middle = Math.floor((before + after) / 2);
      if (offsetAt(middle) === offsetAt(day)) before = middle;
      else after = middle;
    }
    found.push(after);
  }
  return found;
}

const transitions = new Map(ZONES.map((zone) => [zone, transitionsOf(zone)]));

/** A zone and an instant: near one of its offset changes (to the minute, or to the millisecond), or anywhere in the years tried. */
const zonedInstant = fc.constantFrom(...ZONES).chain((zone) => {
  const changes = transitions.get(zone)!;
  const anywhere = fc.integer({ min: FROM, max: TO });
  if (!changes.length) return fc.tuple(fc.constant(zone), anywhere);
  const nearChange = fc.tuple(fc.constantFrom(...changes), fc.integer({ min: -3 * 24 * 60, max: 3 * 24 * 60 }), fc.constantFrom(0, 0, 0, 1, -1, 999, 30_000)).map(([change, minutes, ms]) => change + minutes * 60_000 + ms);
  return fc.tuple(fc.constant(zone), fc.oneof(nearChange, nearChange, anywhere));
});

const minuteOfDay = fc.oneof(fc.integer({ min: 0, max: 1440 }), fc.constantFrom(0, 60, 90, 120, 150, 180, 1440));

const sendWindow: fc.Arbitrary<SendWindow> = fc
  .tuple(minuteOfDay, minuteOfDay, fc.subarray([1, 2, 3, 4, 5, 6, 7]))
  .filter(([a, b]) => a !== b)
  .map(([a, b, days]) => ({ startMinute: Math.min(a, b), endMinute: Math.max(a, b), days }));

const RUNS = { numRuns: 3_000 };

describe('local time in a zone, against ZonedDateTime', () => {
  it('finds the transitions it tries instants around', () => {
    expect(transitions.get('America/New_York')!.length).toBeGreaterThan(100);
    expect(transitions.get('Australia/Lord_Howe')!.length).toBeGreaterThan(100);
    expect(transitions.get('UTC')).toEqual([]);
  });

  it('reads the same local date, day of the week and minute at every instant', () => {
    fc.assert(
      fc.property(zonedInstant, ([zone, epochMs]) => {
        const expected = reference.localDay(epochMs, zone);
        expect(localDay(epochMs, zone)).toEqual(expected);
        expect(LocalDate.ofEpochDay(localEpochDay(epochMs, zone)).toString()).toBe(expected.date);
      }),
      RUNS,
    );
  });

  it('numbers the days of the week as ISO does, before 1970 too', () => {
    fc.assert(fc.property(fc.integer({ min: -800_000, max: 800_000 }), (epochDay) => expect(dayOfWeekOf(epochDay)).toBe(LocalDate.ofEpochDay(epochDay).dayOfWeek().value())), RUNS);
  });

  it('resolves a local time to the same instant, in gaps and overlaps, asked once or again', () => {
    fc.assert(
      fc.property(zonedInstant, fc.integer({ min: -2, max: 2 }), minuteOfDay, ([zone, near], days, minute) => {
        const epochDay = localEpochDay(near, zone) + days;
        const date = LocalDate.ofEpochDay(epochDay).toString();
        const expected = reference.instantOfLocal(date, minute, zone);
        expect(instantOfLocalDay(epochDay, minute, zone)).toBe(expected);
        expect(instantOfLocalDay(epochDay, minute, zone)).toBe(expected);
        expect(instantOfLocal(date, minute, zone)).toBe(expected);
      }),
      RUNS,
    );
  });

  it('resolves the whole day Samoa skipped forward by a day, as ZonedDateTime.of does', () => {
    expect(instantOfLocal('2011-12-30', 9 * 60, 'Pacific/Apia')).toBe(reference.instantOfLocal('2011-12-30', 9 * 60, 'Pacific/Apia'));
    expect(instantOfLocal('2011-12-30', 9 * 60, 'Pacific/Apia')).toBe(instantOfLocal('2011-12-31', 9 * 60, 'Pacific/Apia'));
  });

  it('opens a send window at the same instant', () => {
    fc.assert(fc.property(zonedInstant, sendWindow, ([zone, from], window) => expect(nextOpenInstant(from, window, zone)).toBe(reference.nextOpenInstant(from, window, zone))), RUNS);
  });

  it('finds the same instant inside every rule in every zone', () => {
    const rules = fc.array(fc.array(sendWindow, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 });
    const zones = fc.subarray(ZONES, { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(zonedInstant, rules, zones, ([, from], rules, zones) => expect(nextInstantInsideAll(from, rules, zones)).toBe(reference.nextInstantInsideAll(from, rules, zones))),
      { numRuns: 150 },
    );
  });

});
