// Durations as marketers write them in sequences and config ('3d', '72h', '30m', '2w'), and their
// length in milliseconds. Pure and unit-free elsewhere: all engine time is epoch milliseconds.
import { z } from 'zod';
import { lazySchema } from '../lazySchema';

const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const UNIT_MS = { s: 1_000, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS } as const;
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/;

export const durationSchema = lazySchema(() =>
  z
    .string()
    .trim()
    .regex(DURATION_PATTERN, 'must be a duration such as 30m, 72h, 3d or 2w'),
);

export type Duration = z.infer<typeof durationSchema>;

// The engine reads the same few durations from its model on every event: parse each once.
const parsed = new Map<string, number>();

export function durationMs(duration: Duration): number {
  let ms = parsed.get(duration);
  if (ms === undefined) {
    const match = DURATION_PATTERN.exec(duration.trim());
    if (!match) throw new Error(`not a duration: ${JSON.stringify(duration)}`);
    ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
    if (parsed.size < 1000) parsed.set(duration, ms);
  }
  return ms;
}

/** The same instant as an ISO-8601 string, for output a person reads. */
export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
