// Sales reps as data, and which one takes a handoff. Evaluated in order: the account's owner (a rep
// who already has a lead of the same company domain keeps the account), then the most specific
// territory and segment rules that match the lead, then a weighted round robin among the reps of
// that rule who are active, not out of office, under capacity and working now; when none is working,
// the one who starts soonest takes it, and the task says when. Every decision says why. A manager
// may also name the rep by hand (rule `manual`).
import { z } from 'zod';
import { builtSchema, lazySchema } from '../lazySchema';
import type { LeadTraits } from './lead';
import { nextOpenInstant, sendWindowsSchema, type SendWindow } from './sendWindow';
import { instantOfLocal, isValidTimeZone, localDay } from './timezone';

const code = z.string().trim().regex(/^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$/, 'must be a country (US) or a region (US-CA)').transform((text) => text.toUpperCase());

export const repSchema = lazySchema(() =>
  z.object({
    id: z.string().trim().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be a short lower-case id, e.g. dana or rep-dach-1'),
    name: z.string().trim().min(1).max(200),
    email: z.email({ pattern: new RegExp(z.regexes.email) }).max(320).optional(),
    phone: z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550123').optional(),
    /** How the rep is alerted: email (to `email`), SMS (to `phone`), and a webhook (e.g. Slack). */
    channels: z
      .object({ email: z.boolean().default(true), sms: z.boolean().default(false), webhookUrl: z.url({ protocol: /^https?$/ }).max(2000).optional() })
      .prefault({}),
    /** Countries (US) and regions (US-CA) the rep covers; empty: anywhere. */
    territories: z.array(code).max(300).default([]),
    /** Industries the rep covers (lower case); empty: any. */
    industries: z.array(z.string().trim().toLowerCase().min(1).max(100)).max(100).default([]),
    /** Company-size band the rep covers, in people; absent: any. */
    companySize: z
      .object({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
      .refine((band) => band.min === undefined || band.max === undefined || band.min <= band.max, 'min must not exceed max')
      .optional(),
    /** Share of the round robin: a rep of weight 2 takes twice the handoffs of a rep of weight 1. */
    weight: z.number().int().min(1).max(100).default(1),
    /** Open handoffs at most; absent: no limit. */
    capacity: z.number().int().min(0).max(10_000).optional(),
    /** When the rep works, in their zone: `09:00-17:00,mon-fri` (several `;`-separated); absent: always. */
    workingHours: z.object({ zone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as America/New_York'), hours: builtSchema(sendWindowsSchema) }).optional(),
    /** Absences; a rep is not assigned while one lasts. */
    outOfOffice: z
      .array(z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }).refine((range) => Date.parse(range.from) < Date.parse(range.to), 'must end after it starts'))
      .max(50)
      .default([]),
    /** The rep told when this rep's task breaches its SLA. */
    manager: z.string().max(64).optional(),
    team: z.string().max(64).optional(),
    active: z.boolean().default(true),
  }),
);

export type Rep = z.output<typeof repSchema>;
export type RepInput = z.input<typeof repSchema>;

export interface RoutingContext {
  now: number;
  /** Open handoffs per rep. */
  open: Record<string, number>;
  /** Handoffs assigned so far per rep: the round robin's memory. */
  assigned: Record<string, number>;
  /** The rep who owns another lead of the lead's company domain, if one does. */
  accountOwner?: string;
  /** Reps who had this task before (an escalation): never again. */
  exclude: string[];
}

export interface RoutingDecision {
  owner?: string;
  rule: 'account_owner' | 'territory_and_segment' | 'territory' | 'segment' | 'anyone' | 'none' | 'manual';
  /** When the owner starts work, if not now: the SLA counts from then. */
  startsAt?: number;
  /** The reps the rule chose among, and those passed over with why. */
  candidates: string[];
  skipped: { rep: string; why: string }[];
  /** Who reassigned the task, when a person did. */
  by?: string;
}

/** A manager's choice of `rep`, who must be active; out of office, capacity and rules are theirs to judge. */
export function assignByHand(rep: Rep, now: number, by: string | undefined): RoutingDecision | { refused: string } {
  if (!rep.active) return { refused: `${rep.id} is not active` };
  return { owner: rep.id, rule: 'manual', ...startOf(rep, now), candidates: [rep.id], skipped: [], ...(by ? { by } : {}) };
}

/** Who takes a handoff of a lead with these traits, and why. */
export function routeHandoff(lead: LeadTraits, reps: Rep[], context: RoutingContext): RoutingDecision {
  const skipped: RoutingDecision['skipped'] = [];
  const available = reps.filter((rep) => {
    const why = unavailability(rep, context);
    if (why) skipped.push({ rep: rep.id, why });
    return !why;
  });
  const owner = available.find((rep) => rep.id === context.accountOwner);
  if (owner) return { owner: owner.id, rule: 'account_owner', ...startOf(owner, context.now), candidates: [owner.id], skipped };

  const tiers = new Map<RoutingDecision['rule'], Rep[]>();
  for (const rep of available) {
    const fit = fitOf(rep, lead);
    if (typeof fit === 'string') tiers.set(fit, [...(tiers.get(fit) ?? []), rep]);
    else skipped.push({ rep: rep.id, why: fit.mismatch });
  }
  for (const rule of ['territory_and_segment', 'territory', 'segment', 'anyone'] as const) {
    const pool = tiers.get(rule);
    if (!pool?.length) continue;
    const working = pool.filter((rep) => startOf(rep, context.now).startsAt === undefined);
    const chosen = working.length ? leastLoaded(working, context) : soonestToStart(pool, context);
    return { owner: chosen.id, rule, ...startOf(chosen, context.now), candidates: pool.map((rep) => rep.id), skipped };
  }
  return { rule: 'none', candidates: [], skipped };
}

function unavailability(rep: Rep, context: RoutingContext): string | undefined {
  if (!rep.active) return 'inactive';
  if (context.exclude.includes(rep.id)) return 'had this task';
  if (rep.outOfOffice.some((range) => Date.parse(range.from) <= context.now && context.now < Date.parse(range.to))) return 'out of office';
  if (rep.capacity !== undefined && (context.open[rep.id] ?? 0) >= rep.capacity) return `at capacity (${rep.capacity} open)`;
  return undefined;
}

/** How specifically the rep's rules name the lead, or why they exclude it. */
function fitOf(rep: Rep, lead: LeadTraits): RoutingDecision['rule'] | { mismatch: string } {
  const territory = rep.territories.length ? rep.territories.includes(lead.region ?? '') || rep.territories.includes(lead.country ?? '') : undefined;
  const industry = rep.industries.length ? rep.industries.includes(lead.industry?.toLowerCase() ?? '') : undefined;
  const size = rep.companySize ? lead.companySize !== undefined && lead.companySize >= (rep.companySize.min ?? 0) && lead.companySize <= (rep.companySize.max ?? Infinity) : undefined;
  const segment = industry === undefined && size === undefined ? undefined : industry !== false && size !== false;
  if (territory === false) return { mismatch: `territory ${rep.territories.join(', ')}` };
  if (segment === false) return { mismatch: 'segment' };
  if (territory && segment) return 'territory_and_segment';
  return territory ? 'territory' : segment ? 'segment' : 'anyone';
}

/** Weighted round robin: the rep furthest below their share so far (ties: fewest open, then id). */
function leastLoaded(reps: Rep[], context: RoutingContext): Rep {
  const load = (rep: Rep) => ((context.assigned[rep.id] ?? 0) + 1) / rep.weight;
  return [...reps].sort((a, b) => load(a) - load(b) || (context.open[a.id] ?? 0) - (context.open[b.id] ?? 0) || a.id.localeCompare(b.id))[0]!;
}

function soonestToStart(reps: Rep[], context: RoutingContext): Rep {
  const starts = (rep: Rep) => startOf(rep, context.now).startsAt ?? context.now;
  return [...reps].sort((a, b) => starts(a) - starts(b) || a.id.localeCompare(b.id))[0]!;
}

/** When the rep next works, if not now. */
function startOf(rep: Rep, now: number): { startsAt?: number } {
  if (!rep.workingHours) return {};
  const opens = rep.workingHours.hours.map((window: SendWindow) => nextOpenInstant(now, window, rep.workingHours!.zone)).filter((at): at is number => at !== undefined);
  const startsAt = opens.length ? Math.min(...opens) : undefined;
  return startsAt === undefined || startsAt === now ? {} : { startsAt };
}

/**
 * The instant `ms` of the rep's working time after `from` (an SLA of "1 working hour": a task given
 * on Friday evening is due on Monday morning). Without working hours, plain time.
 */
export function addWorkingTime(from: number, ms: number, workingHours: Rep['workingHours']): number {
  if (!workingHours) return from + ms;
  const { zone, hours } = workingHours;
  let at = from;
  let remaining = ms;
  // Each round uses up one opening of a window; a year of them is far more than any SLA needs.
  for (let round = 0; round < 1000 && remaining > 0; round++) {
    const openings = hours.flatMap((window) => {
      const opens = nextOpenInstant(at, window, zone);
      return opens === undefined ? [] : [{ opens, closes: instantOfLocal(localDay(opens, zone).date, window.endMinute, zone) }];
    });
    if (!openings.length) return from + ms;
    const { opens, closes } = openings.reduce((first, next) => (next.opens < first.opens ? next : first));
    const used = Math.min(remaining, closes - opens);
    remaining -= used;
    at = remaining > 0 ? closes : opens + used;
  }
  return at;
}
