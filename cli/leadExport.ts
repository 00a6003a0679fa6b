// `nurture leads export`: the leads a filter matches (the filters of GET /v1/leads) as a CSV file for
// a spreadsheet, streamed from the API to a file or stdout.
import fs from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { apiAnswer, requestApi, resolveApiTarget, type ApiTarget } from './apiClient';

export interface ExportOptions extends ApiTarget {
  stage?: string;
  source?: string;
  segment?: string;
  /** The file to write; stdout when absent. */
  out?: string;
}

/** Streams the CSV to `options.out` (or `stdout`); what was written, for the terminal, when it went to a file. */
export async function exportLeads(options: ExportOptions, stdout: Writable = process.stdout, env: Record<string, string | undefined> = process.env): Promise<string | undefined> {
  const filter = Object.fromEntries(Object.entries({ stage: options.stage, source: options.source, segment: options.segment }).filter(([, value]) => value !== undefined)) as Record<string, string>;
  const response = await requestApi(resolveApiTarget(options, env), 'GET', `/v1/leads/export.csv?${new URLSearchParams(filter)}`);
  if (!response.ok) await apiAnswer(response);
  await pipeline(Readable.fromWeb(response.body as ReadableStream), options.out ? fs.createWriteStream(options.out) : stdout);
  return options.out ? `saved the leads to ${options.out}` : undefined;
}
