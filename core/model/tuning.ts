// The tunable model of the engine: scoring weights and the ideal customer profile, qualification
// thresholds, cadence, frequency caps and send windows, holdout share. Every value has a default
// from common B2B practice; a deployment or a sequence overrides what it needs.
import { z } from 'zod';
import { lazySchema } from '../lazySchema';
import { DAY_MS, durationMs, durationSchema } from './duration';
import { sendWindowSchema } from './sendWindow';
import { DEFAULT_SMS_HOURS, quietHoursSchema } from './quietHours';

const points = z.number().min(-1000).max(1000);

export const RECYCLE_REASONS = ['bad_timing', 'missing_feature', 'no_budget', 'not_icp', 'no_response', 'other'] as const;
export type RecycleReason = (typeof RECYCLE_REASONS)[number];

const scoringSchema = lazySchema(() =>
  z.object({
    icp: z
      .object({
        industries: z.array(z.string()).default(['software', 'saas', 'fintech', 'financial services', 'manufacturing', 'healthcare']),
        companySize: z.object({ min: z.number().int().min(0), max: z.number().int().min(0) }).default({ min: 50, max: 5000 }),
        countries: z.array(z.string()).default(['US', 'CA', 'GB', 'IE', 'DE', 'AT', 'CH', 'FR', 'NL', 'SE', 'DK', 'NO', 'FI', 'AU']),
        /** Title keywords (lower case) and the points they give; the first match counts. */
        seniority: z
          .array(z.object({ keyword: z.string(), points }))
          .default([
            { keyword: 'chief', points: 20 },
            { keyword: 'cto', points: 20 },
            { keyword: 'ceo', points: 15 },
            { keyword: 'vp', points: 20 },
            { keyword: 'vice president', points: 20 },
            { keyword: 'head', points: 15 },
            { keyword: 'director', points: 15 },
            { keyword: 'lead', points: 10 },
            { keyword: 'manager', points: 8 },
            { keyword: 'engineer', points: 5 },
            { keyword: 'student', points: -10 },
            { keyword: 'intern', points: -10 },
          ]),
        freeMailDomains: z
          .array(z.string())
          .default(['gmail.com', 'googlemail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com', 'aol.com', 'icloud.com', 'gmx.de', 'web.de', 'proton.me', 'protonmail.com']),
        competitorDomains: z.array(z.string()).default([]),
      })
      .prefault({}),
    fitPoints: z
      .object({ industry: points.default(15), companySize: points.default(15), country: points.default(5), freeMail: points.default(-10), competitor: points.default(-50) })
      .prefault({}),
    /** Points per event key (see eventKey); a key that is absent scores nothing. */
    intentWeights: z.record(z.string(), points).default({
      'page_view:pricing': 10,
      'page_view:security': 8,
      'page_view:case_study': 5,
      'page_view:docs': 3,
      'page_view:blog': 2,
      'page_view:other': 1,
      'page_view:careers': -10,
      'content_download:guide': 8,
      'content_download:checklist': 8,
      'content_download:case_study': 8,
      'content_download:whitepaper': 10,
      'content_download:pricing_guide': 15,
      'content_download:security_pack': 12,
      'content_download:roi_calculator': 12,
      'content_download:sample': 10,
      email_open: 1,
      email_click: 3,
      email_reply: 15,
      sms_reply: 10,
      event_attended: 15,
      'product_action:key': 15,
      product_action: 2,
      form_submit: 10,
      demo_request: 30,
      meeting_booked: 30,
      unsubscribe: -20,
      opt_down: -5,
      'email_bounce:hard': -25,
    }),
    /** Intent halves every this long: old engagement counts less than recent engagement. */
    halfLife: durationSchema.default('30d'),
    silence: z.object({ after: durationSchema.default('45d'), points: points.default(-10) }).prefault({}),
    bot: z
      .object({
        /** Clicks inside one window count once; more than burstClicks in it marks the lead suspected-bot. */
        burstClicks: z.number().int().min(1).default(5),
        burstWindow: durationSchema.default('60s'),
        /** A click this soon after an email went out is a link scanner, not a person. */
        afterDelivery: durationSchema.default('10s'),
      })
      .prefault({}),
  }),
);

const qualificationSchema = lazySchema(() =>
  z.object({
    /** MQL = fits the ideal customer AND shows interest: all three must hold. */
    mql: z.object({ fit: points.default(20), intent: points.default(10), total: points.default(40) }).prefault({}),
    handoff: z
      .object({
        total: points.default(60),
        /** A high-intent action must have happened this recently for a score-based handoff. */
        recentWindow: durationSchema.default('72h'),
      })
      .prefault({}),
    /** How long a lead rests after sales turns it down, by reason; not_icp disqualifies instead. */
    recontactAfter: z
      .object({
        bad_timing: durationSchema.default('60d'),
        missing_feature: durationSchema.default('90d'),
        no_budget: durationSchema.default('120d'),
        no_response: durationSchema.default('7d'),
        other: durationSchema.default('30d'),
      })
      .prefault({}),
  }),
);

const capSchema = z.object({ limit: z.number().int().min(0), window: durationSchema });

const cadenceObject = z.object({
  /** Each unanswered touch multiplies the next gap by this much… */
  coolingStretch: z.number().min(1).max(10),
  /** …up to this multiplier. */
  maxMultiplier: z.number().min(1).max(100),
  /** After this many unanswered touches in a row, or this long without intent, the lead is dormant. */
  dormantAfterUnanswered: z.number().int().min(1),
  dormantAfterSilence: durationSchema,
  /** Dormant leads are touched at most this often (the long-term pool). */
  dormantGap: durationSchema,
  /** An intent signal pulls the next touch forward to at most this far away (still inside caps, spacing and windows). */
  reengageWithin: durationSchema.refine((d) => durationMs(d) <= DAY_MS, 'must be at most 24h'),
  /** Opted-down leads get gaps this many times longer and half the per-channel cap. */
  optDownFactor: z.number().min(1).max(10),
  /** The pause between the end of one sequence and the first touch of the next (a base gap). */
  sequenceGap: durationSchema,
  /** No two touches that reach the lead closer together than this, whatever pulls them forward. */
  minSpacing: durationSchema,
  caps: z
    .object({
      email: capSchema,
      sms: capSchema,
      in_app: capSchema,
      /** Over the channels that reach the lead; webhooks go to our own systems and are not capped. */
      all: capSchema,
    })
    .partial(),
  /** Send windows in the lead's local time. */
  windows: z.object({ email: sendWindowSchema, sms: sendWindowSchema, in_app: sendWindowSchema, webhook: sendWindowSchema }).partial(),
});

/** Part of a cadence, given by a deployment or a sequence: caps and windows merge one by one. */
export const cadenceOverrideSchema = lazySchema(() => cadenceObject.partial());
type ParsedCadenceOverride = z.output<typeof cadenceOverrideSchema>;

export interface CadenceModel extends Omit<Required<ParsedCadenceOverride>, 'caps' | 'windows'> {
  caps: Required<ParsedCadenceOverride['caps'] & object>;
  windows: Required<ParsedCadenceOverride['windows'] & object>;
}

const DEFAULT_CADENCE = cadenceObject.parse({
  coolingStretch: 1.5,
  maxMultiplier: 4,
  dormantAfterUnanswered: 4,
  dormantAfterSilence: '30d',
  dormantGap: '30d',
  reengageWithin: '2h',
  optDownFactor: 2,
  sequenceGap: '3d',
  minSpacing: '20h',
  caps: {
    email: { limit: 3, window: '7d' },
    sms: { limit: 1, window: '7d' },
    in_app: { limit: 5, window: '7d' },
    all: { limit: 4, window: '7d' },
  },
  windows: { email: '08:00-18:00,mon-fri', sms: '09:00-20:00,mon-sun', in_app: '00:00-24:00,mon-sun', webhook: '00:00-24:00,mon-sun' },
}) as CadenceModel;

// A catalog's sequences and model are replaced, never changed: each sequence's cadence is merged
// once per model and asked for on every touch and wait.
const mergedCadences = new WeakMap<ParsedCadenceOverride, { base: CadenceModel; merged: CadenceModel }>();

export function mergeCadence(base: CadenceModel, override: ParsedCadenceOverride | undefined): CadenceModel {
  if (!override) return base;
  const cached = mergedCadences.get(override);
  if (cached?.base === base) return cached.merged;
  const defined = <T extends object>(value: T | undefined) =>
    Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  const merged = {
    ...base,
    ...defined(override),
    caps: { ...base.caps, ...defined(override.caps) },
    windows: { ...base.windows, ...defined(override.windows) },
  };
  mergedCadences.set(override, { base, merged });
  return merged;
}

export const cadenceSchema = lazySchema(() =>
  cadenceOverrideSchema.transform((given) => mergeCadence(DEFAULT_CADENCE, given)),
);

const modelSchema = lazySchema(() =>
  z.object({
    scoring: scoringSchema.prefault({}),
    qualification: qualificationSchema.prefault({}),
    cadence: cadenceSchema.prefault({}),
    /** Share of leads, by hash of their id, that are scored and staged but never touched. */
    holdoutPercent: z.number().min(0).max(100).default(10),
    /** Zone for leads whose zone is neither given nor inferred from their number or country (email, in-app; SMS waits for one). */
    defaultTimezone: z.string().default('UTC'),
    /**
     * The hours SMS may reach a lead by law where it is, by country (US) and region (US-FL), each
     * `;`-separated windows in the lead's local time; a deployment's table replaces this one.
     */
    smsHours: quietHoursSchema.prefault(DEFAULT_SMS_HOURS),
    /**
     * Email consent before the lead gave or refused any (SMS always needs an opt-in): B2B email on
     * legitimate interest, unless the deployment or the lead's country asks for an opt-in first.
     */
    consentPolicy: z
      .object({
        email: z.enum(['legitimate_interest', 'opt_in']).default('legitimate_interest'),
        emailOptInCountries: z.array(z.string().regex(/^[A-Z]{2}$/)).default([]),
      })
      .prefault({}),
  }),
);

export type ScoringModel = z.output<typeof scoringSchema>;
export type Model = z.output<typeof modelSchema>;
export type ModelInput = z.input<typeof modelSchema>;

export function buildModel(input: ModelInput = {}): Model {
  return modelSchema.parse(input);
}

export const defaultModel: Model = buildModel();

/** The legal limit for SMS in the lead's local time; no configured window may be wider. */
export const LEGAL_SMS_WINDOW = '08:00-21:00,mon-sun';
