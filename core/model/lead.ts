// A lead's profile: the same shape for the API, CSV import and `nurture simulate`. The id is the
// customer's own identifier.
import { z } from 'zod';
import { lazySchema } from '../lazySchema';
import { flatRecord, identifier } from './input';
import { isValidTimeZone } from './timezone';

const text = (max = 200) => z.string().trim().min(1).max(max);

const consentSchema = lazySchema(() =>
  z.object({
    email: z.boolean().optional(),
    sms: z.boolean().optional(),
    inApp: z.boolean().optional(),
  }),
);

export const leadSchema = lazySchema(() =>
  z.object({
    id: identifier(),
    // zod's own email pattern is a module constant, frozen where core is shared by workflows
    // (core/lazySchema.ts) and zod resets its lastIndex on every check: a copy stays writable.
    email: z.email({ pattern: new RegExp(z.regexes.email) }).max(320).optional(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[\d\s().-]{5,32}$/, 'must be a phone number')
      .optional(),
    firstName: text(100).optional(),
    lastName: text(100).optional(),
    company: text().optional(),
    title: text().optional(),
    industry: text(100).optional(),
    companySize: z.number().int().min(0).max(10_000_000).optional(),
    country: z
      .string()
      .trim()
      .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO country code')
      .transform((code) => code.toUpperCase())
      .optional(),
    timezone: z.string().trim().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin').optional(),
    source: text(100).optional(),
    consent: consentSchema.optional(),
    attributes: flatRecord().optional(),
  }),
);

export type Lead = z.infer<typeof leadSchema>;

/** A profile change: any fields but the id; the fields given replace the stored ones. */
export const profileUpdateSchema = lazySchema(() => leadSchema.omit({ id: true }).partial());
export type ProfileUpdate = z.infer<typeof profileUpdateSchema>;

export function emailDomain(email: string | undefined): string | undefined {
  const at = email?.lastIndexOf('@') ?? -1;
  return at >= 0 ? email!.slice(at + 1).toLowerCase() : undefined;
}

/**
 * What the engine knows of a lead, and all that a workflow carries: firmographics, where and how it
 * can be reached, never a direct identifier (email address, phone number, names), which stay in
 * PostgreSQL and are read at send time.
 */
export interface LeadTraits {
  company?: string;
  title?: string;
  industry?: string;
  companySize?: number;
  country?: string;
  timezone?: string;
  source?: string;
  /** The domain of the lead's email address: free-mail and competitor domains score. */
  emailDomain?: string;
  hasEmail?: true;
  hasPhone?: true;
  /** The zones the lead may be in, inferred from its number or country when it gave none: see LeadPlace. */
  zones?: string[];
  /** Its region (ISO 3166-2, e.g. US-FL), inferred from its number, for the SMS hours of states. */
  region?: string;
}

/** Where a lead is, as inferred outside the engine from its phone number or country. */
export type LeadPlace = Pick<LeadTraits, 'zones' | 'region'>;

const leadTraitsShape = {
  emailDomain: z.string().max(255).optional(),
  hasEmail: z.literal(true).optional(),
  hasPhone: z.literal(true).optional(),
  zones: z.array(z.string().max(100)).max(100).optional(),
  region: z.string().max(10).optional(),
};

/** A profile change as a workflow takes it: traits, or (in histories recorded before traits) a profile. */
export const profileChangeSchema = lazySchema(() => leadSchema.omit({ id: true }).partial().extend(leadTraitsShape));

/** A new lead as a workflow takes it: its id, its traits and the consent it came with. */
export type LeadArrival = { id: string; consent?: Lead['consent'] } & LeadTraits;

export function arrivalOf(lead: Lead, place: LeadPlace = {}): LeadArrival {
  return { id: lead.id, ...(lead.consent ? { consent: lead.consent } : {}), ...traitsOf({ ...lead, ...place }) };
}

/**
 * The traits of a lead, or of a profile change: a field it does not give stays absent, so a change
 * replaces only what it names. Takes traits as they are, so applying it twice changes nothing.
 */
export function traitsOf(profile: ProfileUpdate & LeadTraits): LeadTraits {
  const { company, title, industry, companySize, country, timezone, source, zones, region } = profile;
  const traits: LeadTraits = Object.fromEntries(Object.entries({ company, title, industry, companySize, country, timezone, source, zones, region }).filter(([, value]) => value !== undefined));
  const domain = profile.email !== undefined ? emailDomain(profile.email) : profile.emailDomain;
  if (profile.email !== undefined || profile.hasEmail) traits.hasEmail = true;
  if (domain !== undefined) traits.emailDomain = domain;
  if (profile.phone !== undefined || profile.hasPhone) traits.hasPhone = true;
  return traits;
}
