// Send windows and quiet hours in the lead's local time, written `HH:MM-HH:MM[,days]`
// (`08:00-18:00,mon-fri`; `00:00-24:00,mon-sun` is any time), and the next instant one allows.
import { z } from 'zod';
import { lazySchema } from '../lazySchema';
import { dayOfWeekOf, instantOfLocalDay, localEpochDay } from './timezone';

export interface SendWindow {
  startMinute: number;
  /** Exclusive; 1440 is midnight at the end of the day. */
  endMinute: number;
  /** ISO days of the week the window is open: 1 = Monday … 7 = Sunday. */
  days: number[];
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WINDOW_PATTERN = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})(?:,([a-z]{3})(?:-([a-z]{3}))?)?$/;

export function parseSendWindow(text: string): SendWindow {
  const match = WINDOW_PATTERN.exec(text.trim().toLowerCase());
  if (!match) throw new Error('must look like HH:MM-HH:MM or HH:MM-HH:MM,mon-fri');
  const [, sh, sm, eh, em, fromDay, toDay] = match;
  const startMinute = Number(sh) * 60 + Number(sm);
  const endMinute = Number(eh) * 60 + Number(em);
  if (Number(sm) > 59 || Number(em) > 59 || startMinute >= 1440 || endMinute > 1440) throw new Error('has a time that is not on the clock');
  if (endMinute <= startMinute) throw new Error('must end after it starts');
  const from = fromDay ? DAY_NAMES.indexOf(fromDay) : 0;
  const to = toDay ? DAY_NAMES.indexOf(toDay) : fromDay ? from : 6;
  if (from < 0 || to < 0) throw new Error(`days must be among ${DAY_NAMES.join(', ')}`);
  const days: number[] = [];
  // A range may wrap the week end: fri-mon.
  for (let day = from; ; day = (day + 1) % 7) {
    days.push(day + 1);
    if (day === to) break;
  }
  return { startMinute, endMinute, days: days.sort((a, b) => a - b) };
}

/** A zod schema that turns the text form into a SendWindow, naming the problem when it cannot. */
export const sendWindowSchema = lazySchema(() =>
  z.string().transform((text, ctx): SendWindow => {
    try {
      return parseSendWindow(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} ${(err as Error).message}` });
      return z.NEVER;
    }
  }),
);

const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

export function formatSendWindow(window: SendWindow): string {
  const days = window.days.length === 7 ? 'mon-sun' : window.days.map((d) => DAY_NAMES[d - 1]).join('+');
  return `${hhmm(window.startMinute)}-${hhmm(window.endMinute)},${days}`;
}

/** True when `inner` allows nothing that `outer` does not (used to keep SMS inside legal hours). */
export function windowWithin(inner: SendWindow, outer: SendWindow): boolean {
  return inner.startMinute >= outer.startMinute && inner.endMinute <= outer.endMinute && inner.days.every((d) => outer.days.includes(d));
}

/**
 * The first instant at or after `from` inside the window in `zone`, or undefined when the window
 * never opens (no days). Looks at most a week ahead, which always finds an open day.
 */
export function nextOpenInstant(from: number, window: SendWindow, zone: string): number | undefined {
  const today = localEpochDay(from, zone);
  for (let day = today; day <= today + 7; day++) {
    if (!window.days.includes(dayOfWeekOf(day))) continue;
    const opens = instantOfLocalDay(day, window.startMinute, zone);
    const closes = instantOfLocalDay(day, window.endMinute, zone);
    const candidate = Math.max(from, opens);
    if (candidate < closes) return candidate;
  }
  return undefined;
}

export function isInsideWindow(at: number, window: SendWindow, zone: string): boolean {
  return nextOpenInstant(at, window, zone) === at;
}

/** Windows of which any may be open, written `;`-separated: `09:00-21:00,mon-sat;12:00-21:00,sun`. */
export const sendWindowsSchema = lazySchema(() =>
  z.string().transform((text, ctx): SendWindow[] => {
    try {
      return text.split(';').map(parseSendWindow);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} ${(err as Error).message}` });
      return z.NEVER;
    }
  }),
);

/** How many openings the search below may step over: far more than a fortnight of windows in many zones. */
const MAX_ROUNDS = 2_000;
const HORIZON_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * The first instant at or after `from` that every rule allows in every zone, where a rule is a set
 * of windows of which one must be open. For a lead whose zone is one of several, or whose state has
 * stricter hours than its country. Undefined when no such instant comes within two weeks.
 */
export function nextInstantInsideAll(from: number, rules: SendWindow[][], zones: readonly string[]): number | undefined {
  let at = from;
  for (let round = 0; round < MAX_ROUNDS && at <= from + HORIZON_MS; round++) {
    let latest = at;
    for (const zone of zones) {
      for (const rule of rules) {
        const opens = firstOpening(at, rule, zone);
        if (opens === undefined) return undefined;
        latest = Math.max(latest, opens);
      }
    }
    if (latest === at) return at;
    at = latest;
  }
  return undefined;
}

/** The soonest instant at or after `from` that any of `windows` is open in `zone`; undefined when none ever opens. */
function firstOpening(from: number, windows: SendWindow[], zone: string): number | undefined {
  let soonest: number | undefined;
  for (const window of windows) {
    const opens = nextOpenInstant(from, window, zone);
    if (opens !== undefined && (soonest === undefined || opens < soonest)) soonest = opens;
  }
  return soonest;
}

/**
 * Windows as text that sendWindowsSchema reads back as the same windows: a window whose days do not
 * follow each other is written once per run of days (`mon-tue;thu-fri`).
 */
export function sendWindowsText(windows: SendWindow[]): string {
  return windows.flatMap((window) => dayRuns(window.days).map(([from, to]) => `${hhmm(window.startMinute)}-${hhmm(window.endMinute)},${DAY_NAMES[from - 1]}-${DAY_NAMES[to - 1]}`)).join(';');
}

/** Runs of consecutive ISO days, a run over the week end as one (`[[6, 1]]` for sat-mon). */
function dayRuns(days: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const day of [...days].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && last[1] === day - 1) last[1] = day;
    else runs.push([day, day]);
  }
  if (runs.length > 1 && runs[0]![0] === 1 && runs.at(-1)![1] === 7) {
    const weekEnd = runs.pop()!;
    runs[0] = [weekEnd[0], runs[0]![1]];
  }
  return runs;
}
