// CSV import of leads, streamed: each row is mapped onto the lead schema, validated, saved and its
// workflow started; a bad row is reported with its line and field and does not stop the others.
import type { Readable } from 'node:stream';
import type { Client } from '@temporalio/client';
import { parse } from 'csv-parse';
import type { Pool } from 'pg';
import { z } from 'zod';
import { leadSchema, type Lead } from '../core/model/lead';
import { consentOfProfile, takeConsent } from './consent';
import { upsertLead, type LeadStartOptions } from './leadWorkflows';
import { erasedLeadIds, saveLead } from '../db/repositories/leads';
import { erasedIdentifiersOf } from './erasure';

interface ImportFailure {
  /** The line of the file, counting the header as line 1, as a spreadsheet shows it. */
  row: number;
  field: string;
  message: string;
}

export interface ImportResult {
  imported: number;
  updated: number;
  failed: ImportFailure[];
}

/** Lead fields by the column that fills them, e.g. `{ "email": "E-mail address" }`. */
export const columnMappingSchema = z.partialRecord(z.enum(Object.keys(leadSchema.shape) as [keyof Lead, ...(keyof Lead)[]]), z.string().min(1));
export type ColumnMapping = z.infer<typeof columnMappingSchema>;

export interface ImportDependencies {
  pool: Pool;
  client: Client;
  start?: LeadStartOptions;
  /** The key of the erased identifiers' hashes: an erased person's row is refused. */
  erasureSecret: string;
}

/** Rows saved and started together; bounded so a large file streams through in constant memory. */
const BATCH = 50;
/** Fields a CSV can fill directly; consent and attributes have shapes of their own. */
const SCALAR_FIELDS = Object.keys(leadSchema.shape).filter((field) => field !== 'consent' && field !== 'attributes') as (keyof Lead)[];

const normalise = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Columns that give consent (`Email consent`, `consent_sms`, …), by their normalised names. */
const CONSENT_COLUMNS: Record<string, 'email' | 'sms' | 'inApp'> = {
  emailconsent: 'email',
  consentemail: 'email',
  smsconsent: 'sms',
  consentsms: 'sms',
  inappconsent: 'inApp',
  consentinapp: 'inApp',
};
const YES = /^(yes|y|true|1|opt-?in)$/i;
const NO = /^(no|n|false|0|opt-?out)$/i;

export async function importLeadsCsv(input: Readable, deps: ImportDependencies, mapping: ColumnMapping = {}, onRow?: (row: number) => void): Promise<ImportResult> {
  const result: ImportResult = { imported: 0, updated: 0, failed: [] };
  const parser = input.pipe(parse({ columns: true, bom: true, trim: true, skip_empty_lines: true, skip_records_with_error: true, info: true }));
  parser.on('skip', (err: Error & { lines?: number }) => result.failed.push({ row: err.lines ?? 0, field: 'row', message: err.message }));

  let batch: { row: number; lead: Lead }[] = [];
  const flush = async () => {
    // Rows of one lead apply in file order; different leads in parallel.
    const byLead = new Map<string, { row: number; lead: Lead }[]>();
    for (const entry of batch) byLead.set(entry.lead.id, [...(byLead.get(entry.lead.id) ?? []), entry]);
    batch = [];
    await Promise.all([...byLead.values()].map(async (entries) => {
      for (const entry of entries) await importOne(entry, deps, result);
    }));
  };
  let fieldOfColumn: Map<string, keyof Lead> | undefined;
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    fieldOfColumn ??= mapColumns(Object.keys(record), mapping);
    const row = info.lines;
    onRow?.(row);
    const parsed = leadSchema.safeParse(toLead(record, fieldOfColumn));
    if (!parsed.success) {
      // One message per field: the first thing wrong with it.
      const seen = new Set<string>();
      for (const issue of parsed.error.issues) {
        const field = issue.path.join('.') || 'row';
        if (!seen.has(field)) result.failed.push({ row, field, message: issue.message });
        seen.add(field);
      }
      continue;
    }
    batch.push({ row, lead: parsed.data });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  result.failed.sort((a, b) => a.row - b.row);
  return result;
}

/** Which lead field each column fills: the mapping first, then columns named like a field (`First Name` → firstName). */
function mapColumns(columns: string[], mapping: ColumnMapping): Map<string, keyof Lead> {
  const byColumn = new Map<string, keyof Lead>();
  for (const [field, column] of Object.entries(mapping) as [keyof Lead, string][]) byColumn.set(column, field);
  const mapped = new Set(byColumn.values());
  for (const column of columns) {
    const field = SCALAR_FIELDS.find((candidate) => normalise(candidate) === normalise(column));
    if (field && !mapped.has(field) && !byColumn.has(column)) byColumn.set(column, field);
  }
  return byColumn;
}

/** The row as a lead: mapped columns become fields, the others attributes; empty cells are absent. */
function toLead(record: Record<string, string>, fieldOfColumn: Map<string, keyof Lead>): Record<string, unknown> {
  const lead: Record<string, unknown> = {};
  const attributes: Record<string, string> = {};
  const consent: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(record)) {
    if (value === '') continue;
    const consentChannel = CONSENT_COLUMNS[normalise(column)];
    if (consentChannel) {
      // Anything but yes or no is left as written, for the schema to name.
      consent[consentChannel] = YES.test(value) ? true : NO.test(value) ? false : value;
      continue;
    }
    const field = fieldOfColumn.get(column);
    if (field === 'companySize') lead[field] = /^\d+$/.test(value) ? Number(value) : value;
    else if (field) lead[field] = value;
    else attributes[column] = value;
  }
  return { ...lead, ...(Object.keys(attributes).length ? { attributes } : {}), ...(Object.keys(consent).length ? { consent } : {}) };
}

async function importOne({ row, lead }: { row: number; lead: Lead }, deps: ImportDependencies, result: ImportResult): Promise<void> {
  if ((await erasedLeadIds(deps.pool, [lead.id])).has(lead.id)) return void result.failed.push({ row, field: 'id', message: `lead ${lead.id} was erased on request; it cannot be added again` });
  const erased = await erasedIdentifiersOf(deps.pool, lead, deps.erasureSecret, 'row');
  if (erased.length) return void result.failed.push(...erased.map(({ path, message }) => ({ row, field: path.slice('row.'.length), message })));
  const created = await saveLead(deps.pool, lead);
  try {
    await takeConsent(deps.pool, deps.client, consentOfProfile(lead, 'csv_import', { row }, Date.now()));
    await upsertLead(deps.client, lead, deps.start);
  } catch (err) {
    result.failed.push({ row, field: 'workflow', message: `saved, but its workflow could not be started: ${(err as Error).message}` });
    return;
  }
  if (created) result.imported++;
  else result.updated++;
}
