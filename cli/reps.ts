// `nurture reps add|list|import`: the sales reps, through the API with an admin key. `add` takes
// flags, `import` a CSV with the same names as columns; both name the field (and row) that is wrong.
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { repSchema, type RepInput } from '../core/model/routing';
import { zodIssues } from '../core/model/events';
import { callApi, resolveApiTarget, type ApiTarget } from './apiClient';
import { InputError } from './inputs';

/** A rep as flags and CSV columns write it: lists comma-separated, the size band as `100-1000`. */
export type RepFields = Partial<Record<(typeof REP_FIELDS)[number], string>>;
const REP_FIELDS = ['id', 'name', 'email', 'phone', 'territories', 'industries', 'size', 'weight', 'capacity', 'zone', 'hours', 'manager', 'team', 'sms', 'webhook'] as const;

const list = (text: string | undefined) => (text ? text.split(',').map((item) => item.trim()).filter(Boolean) : undefined);
const number = (text: string | undefined) => (text ? Number(text) : undefined);

const sizeBand = z
  .string()
  .regex(/^\d*-\d*$/, 'must be a band of people such as 100-1000, 100- or -50')
  .transform((band) => {
    const [min, max] = band.split('-').map((end) => (end ? Number(end) : undefined));
    return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
  });

/** The rep the fields describe, validated; an InputError names each bad field, after `where`. */
function repOfFields(fields: RepFields, where = ''): RepInput {
  const size = fields.size ? sizeBand.safeParse(fields.size) : undefined;
  if (size && !size.success) throw new InputError(`${where}size: ${size.error.issues[0]!.message}`);
  const input = {
    id: fields.id,
    name: fields.name,
    ...(fields.email ? { email: fields.email } : {}),
    ...(fields.phone ? { phone: fields.phone } : {}),
    channels: { email: true, sms: fields.sms === 'true' || fields.sms === 'yes', ...(fields.webhook ? { webhookUrl: fields.webhook } : {}) },
    ...(list(fields.territories) ? { territories: list(fields.territories) } : {}),
    ...(list(fields.industries) ? { industries: list(fields.industries) } : {}),
    ...(size?.success ? { companySize: size.data } : {}),
    ...(fields.weight ? { weight: number(fields.weight) } : {}),
    ...(fields.capacity ? { capacity: number(fields.capacity) } : {}),
    ...(fields.hours || fields.zone ? { workingHours: { zone: fields.zone ?? 'UTC', hours: fields.hours ?? '09:00-17:00,mon-fri' } } : {}),
    ...(fields.manager ? { manager: fields.manager } : {}),
    ...(fields.team ? { team: fields.team } : {}),
  };
  const checked = repSchema.safeParse(input);
  if (!checked.success) throw new InputError(zodIssues(checked.error).map((issue) => `${where}${issue.path}: ${issue.message}`).join('\n'));
  return input as RepInput;
}

const repAnswer = z.looseObject({ id: z.string(), name: z.string() });
const repList = z.object({ items: z.array(z.looseObject({ id: z.string(), name: z.string(), territories: z.array(z.string()), industries: z.array(z.string()), weight: z.number(), active: z.boolean() })) });

/** `nurture reps add`: one rep, created through the API. */
export async function addRep(fields: RepFields, target: ApiTarget, env: Record<string, string | undefined> = process.env): Promise<string> {
  const rep = repOfFields(fields);
  const created = await callApi(resolveApiTarget(target, env), 'POST', '/v1/reps', repAnswer, rep);
  return `added ${created.id} (${created.name})`;
}

/** `nurture reps list`: one line per rep. */
export async function listRepLines(target: ApiTarget, env: Record<string, string | undefined> = process.env): Promise<string[]> {
  const { items } = await callApi(resolveApiTarget(target, env), 'GET', '/v1/reps', repList);
  if (!items.length) return ['no reps yet: `nurture reps add --id dana --name "Dana Lee" --territories US --zone America/New_York`'];
  return items.map((rep) =>
    [rep.id.padEnd(16), rep.name.padEnd(20), `territories ${rep.territories.join(',') || 'any'}`, `industries ${rep.industries.join(',') || 'any'}`, `weight ${rep.weight}`, rep.active ? '' : '(inactive)']
      .join('  ')
      .trimEnd(),
  );
}

/**
 * `nurture reps import <file.csv>`: creates the reps of a CSV (a header row with the flags' names),
 * and updates those that exist. Every row is checked before any is sent: one bad row sends nothing.
 */
export async function importReps(file: string, target: ApiTarget, env: Record<string, string | undefined> = process.env): Promise<{ created: number; updated: number }> {
  let rows: Record<string, string>[];
  try {
    rows = parse(fs.readFileSync(file), { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (err) {
    throw new InputError(`${file}: ${(err as Error).message}`);
  }
  const unknown = Object.keys(rows[0] ?? {}).filter((column) => !(REP_FIELDS as readonly string[]).includes(column));
  if (unknown.length) throw new InputError(`${file}: unknown columns ${unknown.join(', ')} (known: ${REP_FIELDS.join(', ')})`);
  // Row 1 is the header: the first rep is on line 2, as a spreadsheet numbers it.
  const reps = rows.map((row, i) => repOfFields(row, `${file}:${i + 2}: `));
  const api = resolveApiTarget(target, env);
  const existing = new Set((await callApi(api, 'GET', '/v1/reps', repList)).items.map((item) => item.id));
  let created = 0;
  for (const rep of reps) {
    const exists = existing.has(rep.id);
    await callApi(api, exists ? 'PATCH' : 'POST', exists ? `/v1/reps/${encodeURIComponent(rep.id)}` : '/v1/reps', repAnswer, rep);
    if (!exists) created++;
  }
  return { created, updated: reps.length - created };
}
