// A lead's profile: the same shape for the API, CSV import and `nurture simulate`. The id is the
// customer's own identifier.
import { z } from 'zod';
import { lazySchema } from '../lazySchema';
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
    id: text(),
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
    attributes: z.record(z.string().max(100), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()])).optional(),
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
