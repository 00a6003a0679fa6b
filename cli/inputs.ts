// Reads the files the CLI is given (a lead as JSON, events as a JSON array or JSON lines) and
// validates them with the core schemas, naming the file, line and field of every problem.
import fs from 'node:fs';
import { parseLeadEvent, zodIssues, type LeadEvent } from '../core/model/events';
import { leadSchema, type Lead } from '../core/model/lead';

export class InputError extends Error {
  override name = 'InputError';
}

export function readLead(file: string): Lead {
  const result = leadSchema.safeParse(readJson(file, readText(file)));
  if (!result.success) throw new InputError(zodIssues(result.error).map((i) => `${file}: ${i.path}: ${i.message}`).join('\n'));
  return result.data;
}

/** Events from a JSON array, or one JSON object per line (blank lines allowed). */
export function readEvents(file: string): LeadEvent[] {
  const text = readText(file);
  const records: { where: string; value: unknown }[] = text.trimStart().startsWith('[')
    ? (readJson(file, text) as unknown[]).map((value, i) => ({ where: `${file}: [${i}]`, value }))
    : text
        .split('\n')
        .map((line, i) => ({ line, where: `${file}:${i + 1}` }))
        .filter(({ line }) => line.trim())
        .map(({ line, where }) => ({ where, value: readJson(where, line) }));
  const problems: string[] = [];
  const events: LeadEvent[] = [];
  for (const { where, value } of records) {
    const parsed = parseLeadEvent(value);
    if (parsed.ok) events.push(parsed.event);
    else problems.push(...parsed.issues.map((i) => `${where}: ${i.path}: ${i.message}`));
  }
  if (problems.length) throw new InputError(problems.join('\n'));
  return events;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readJson(where: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${where}: not valid JSON: ${(err as Error).message}`);
  }
}
