// Local time in a lead's IANA zone, computed from tz data bundled with @js-joda/timezone (pinned by
// the lockfile), not the host's ICU: a replay on another machine computes the same instants.
import { LocalDate, LocalTime, ZoneId, ZonedDateTime, type ZoneRules } from '@js-joda/core';
import '@js-joda/timezone';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 1440;

/**
 * An IANA zone name (`Europe/Berlin`, `UTC`). Fixed offsets (`+02:00`) carry no daylight-saving
 * rules and `SYSTEM` is the host's own zone, so both are refused.
 */
export function isValidTimeZone(zone: string): boolean {
  if (!/^(?:[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)+|UTC)$/.test(zone)) return false;
  try {
    ZoneId.of(zone);
    return true;
  } catch {
    return false;
  }
}

interface Zone {
  id: ZoneId;
  rules: ZoneRules;
  /** Instants of local times already resolved, by `epochDay * 1440 + minuteOfDay`. */
  instants: Map<number, number>;
}

/** Zones by name: building one unpacks its rules, and a lead's zone is asked for on every touch. */
const zones = new Map<string, Zone>();
/** Send windows open and close at a few minutes of the day: this many days of them in a zone is plenty to remember. */
const MAX_REMEMBERED_INSTANTS = 50_000;

function zoneOf(name: string): Zone {
  let zone = zones.get(name);
  if (!zone) {
    const id = ZoneId.of(name);
    zone = { id, rules: id.rules(), instants: new Map() };
    zones.set(name, zone);
  }
  return zone;
}

export interface LocalDay {
  /** The local calendar date, YYYY-MM-DD. */
  date: string;
  /** 1 = Monday … 7 = Sunday (ISO). */
  dayOfWeek: number;
  minuteOfDay: number;
}

/** Milliseconds since 1970-01-01T00:00 in local time: the instant plus the zone's offset then (as ZonedDateTime.ofInstant does). */
function localEpochMs(epochMs: number, zone: string): number {
  return epochMs + zoneOf(zone).rules.offsetOfEpochMilli(epochMs).totalSeconds() * 1000;
}

export function localDay(epochMs: number, zone: string): LocalDay {
  const local = localEpochMs(epochMs, zone);
  const epochDay = Math.floor(local / DAY_MS);
  return {
    date: LocalDate.ofEpochDay(epochDay).toString(),
    dayOfWeek: dayOfWeekOf(epochDay),
    minuteOfDay: Math.floor((local - epochDay * DAY_MS) / MINUTE_MS),
  };
}

/** The local calendar date at an instant, as days since 1970-01-01: a number to step through days with. */
export function localEpochDay(epochMs: number, zone: string): number {
  return Math.floor(localEpochMs(epochMs, zone) / DAY_MS);
}

/** ISO day of the week of a day since 1970-01-01 (a Thursday): 1 = Monday … 7 = Sunday. */
export function dayOfWeekOf(epochDay: number): number {
  return (((epochDay + 3) % 7) + 7) % 7 + 1;
}

/** The instant of a local wall-clock time; a time skipped by a DST change resolves forward. */
export function instantOfLocal(date: string, minuteOfDay: number, zone: string): number {
  return instantOfLocalDay(dateOf(date).toEpochDay(), minuteOfDay, zone);
}

/**
 * The instant of a local wall-clock time on a day since 1970-01-01, as ZonedDateTime.of resolves it
 * (a skipped time forward by the gap, a repeated one at the earlier offset); remembered per zone,
 * since the same few window edges are asked for on every touch.
 */
export function instantOfLocalDay(epochDay: number, minuteOfDay: number, zone: string): number {
  const { id, instants } = zoneOf(zone);
  const day = epochDay + Math.floor(minuteOfDay / MINUTES_PER_DAY);
  const minute = minuteOfDay % MINUTES_PER_DAY;
  const key = day * MINUTES_PER_DAY + minute;
  let instant = instants.get(key);
  if (instant === undefined) {
    instant = ZonedDateTime.of(LocalDate.ofEpochDay(day), LocalTime.of(Math.floor(minute / 60), minute % 60), id).toInstant().toEpochMilli();
    if (instants.size >= MAX_REMEMBERED_INSTANTS) instants.clear();
    instants.set(key, instant);
  }
  return instant;
}

/** A YYYY-MM-DD date without js-joda's general parser, which costs more than the rest of a send-window lookup. */
function dateOf(date: string): LocalDate {
  return LocalDate.of(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));
}
