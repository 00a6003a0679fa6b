// Local time in a lead's IANA zone, computed from tz data bundled with @js-joda/timezone (pinned by
// the lockfile), not the host's ICU: a replay on another machine computes the same instants.
import { Instant, LocalDate, LocalTime, ZoneId, ZonedDateTime } from '@js-joda/core';
import '@js-joda/timezone';

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

/** Zone ids by name: building one unpacks its rules, and a lead's zone is asked for on every touch. */
const zoneIds = new Map<string, ZoneId>();

function zoneIdOf(zone: string): ZoneId {
  let id = zoneIds.get(zone);
  if (!id) {
    id = ZoneId.of(zone);
    zoneIds.set(zone, id);
  }
  return id;
}

export interface LocalDay {
  /** The local calendar date, YYYY-MM-DD. */
  date: string;
  /** 1 = Monday … 7 = Sunday (ISO). */
  dayOfWeek: number;
  minuteOfDay: number;
}

export function localDay(epochMs: number, zone: string): LocalDay {
  const local = ZonedDateTime.ofInstant(Instant.ofEpochMilli(epochMs), zoneIdOf(zone));
  return {
    date: local.toLocalDate().toString(),
    dayOfWeek: local.dayOfWeek().value(),
    minuteOfDay: local.hour() * 60 + local.minute(),
  };
}

/** The instant of a local wall-clock time; a time skipped by a DST change resolves forward. */
export function instantOfLocal(date: string, minuteOfDay: number, zone: string): number {
  const day = dateOf(date).plusDays(Math.floor(minuteOfDay / 1440));
  const minute = minuteOfDay % 1440;
  const local = ZonedDateTime.of(day, LocalTime.of(Math.floor(minute / 60), minute % 60), zoneIdOf(zone));
  return local.toInstant().toEpochMilli();
}

export function addDays(date: string, days: number): string {
  return dateOf(date).plusDays(days).toString();
}

/** ISO day of the week of a calendar date: 1 = Monday … 7 = Sunday. */
export function dayOfWeekOf(date: string): number {
  return dateOf(date).dayOfWeek().value();
}

/** A YYYY-MM-DD date without js-joda's general parser, which costs more than the rest of a send-window lookup. */
function dateOf(date: string): LocalDate {
  return LocalDate.of(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));
}
