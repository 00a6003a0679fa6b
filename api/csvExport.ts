// CSV export of leads, streamed page by page, for a spreadsheet: the profile, consent and where the
// engine has the lead. Cells a spreadsheet would run as a formula are neutralised (OWASP CSV
// injection): what a lead typed into a form must not run on the marketer's machine.
import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Pool } from 'pg';
import { listLeads, PROFILE_FIELDS, profileOf, type LeadFilter } from '../db/repositories/leads';

const PAGE = 500;
const CONSENT_FIELDS = { emailConsent: 'email', smsConsent: 'sms', inAppConsent: 'inApp' } as const;
/** The header: consent columns named as the import reads them; attributes as one JSON cell. */
const COLUMNS = ['id', ...PROFILE_FIELDS, ...Object.keys(CONSENT_FIELDS), 'stage', 'tier', 'segment', 'totalScore', 'sequenceId', 'attributes'];

/** A cell starting with = + - @ or a tab or carriage return is read as text by a spreadsheet when it starts with a quote. */
function neutraliseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

function rowOf(lead: { id: string } & Record<string, unknown>): Record<string, unknown> {
  const profile = profileOf(lead);
  const consent = (profile.consent ?? {}) as Record<string, boolean | undefined>;
  const attributes = profile.attributes as Record<string, unknown> | null;
  return {
    ...profile,
    id: lead.id,
    ...Object.fromEntries(Object.entries(CONSENT_FIELDS).map(([column, channel]) => [column, consent[channel] === undefined ? '' : consent[channel] ? 'yes' : 'no'])),
    attributes: attributes && Object.keys(attributes).length ? JSON.stringify(attributes) : '',
  };
}

async function* leadPages(pool: Pool, filter: Omit<LeadFilter, 'afterId' | 'limit'>): AsyncGenerator<Record<string, unknown>> {
  let afterId: string | undefined;
  for (;;) {
    const page = await listLeads(pool, { ...filter, afterId, limit: PAGE });
    for (const lead of page) yield rowOf(lead);
    if (page.length < PAGE) return;
    afterId = page.at(-1)!.id;
  }
}

/** The leads the filter matches, as CSV with a header, ordered by id. */
export function leadsCsv(pool: Pool, filter: Omit<LeadFilter, 'afterId' | 'limit'>): Readable {
  const csv = stringify({ header: true, columns: COLUMNS, cast: { string: neutraliseFormula } });
  // A failed read destroys the CSV stream with its error, which cuts the response short and logs it.
  pipeline(Readable.from(leadPages(pool, filter)), csv, () => undefined);
  return csv;
}
