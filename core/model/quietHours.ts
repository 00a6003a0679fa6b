// Quiet hours for SMS as the law of a country or of one of its regions (ISO 3166-2) sets them,
// kept as data in the model: the US federal 08:00–21:00 and the states that are stricter. A lead
// whose region is unknown is held to every rule of its country, the strictest hours of all.
import { z } from 'zod';
import { builtSchema, lazySchema } from '../lazySchema';
import { sendWindowsSchema, type SendWindow } from './sendWindow';

export const quietHoursSchema = lazySchema(() =>
  z.record(z.string().regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, 'must be a country (US) or an ISO 3166-2 region (US-FL)'), builtSchema(sendWindowsSchema)),
);

/** When SMS may reach a lead, by place: federal rules by country code, state rules by region code. */
export const DEFAULT_SMS_HOURS: Record<string, string> = {
  // TCPA, 47 CFR 64.1200(c)(1).
  US: '08:00-21:00',
  // Florida Telephone Solicitation Act (2021).
  'US-FL': '08:00-20:00',
  // Oklahoma Telephone Solicitation Act (2022).
  'US-OK': '08:00-20:00',
  // Maryland Stop the Spam Calls Act (2023).
  'US-MD': '08:00-20:00',
  // Washington RCW 80.36.390.
  'US-WA': '08:00-20:00',
  // Texas Business and Commerce Code 301.051: Sundays from noon.
  'US-TX': '09:00-21:00,mon-sat;12:00-21:00,sun',
};

/**
 * The rules that hold for a lead in `country` and `region` (either may be unknown; a region names
 * its country): each a set of windows, one of which must be open.
 */
export function smsHoursFor(hours: Record<string, SendWindow[]>, country: string | undefined, region: string | undefined): SendWindow[][] {
  country ??= region?.split('-')[0];
  if (!country) return [];
  const applies = (key: string) => key === country || (region ? key === region : key.startsWith(`${country}-`));
  return Object.entries(hours)
    .filter(([key]) => applies(key))
    .map(([, windows]) => windows);
}

/** The zones a lead may be in: the one it gave, else those inferred from its number or country (none: unknown). */
export function zonesOf(lead: { timezone?: string; zones?: string[] }): string[] {
  return lead.timezone ? [lead.timezone] : (lead.zones ?? []);
}
