// `nurture import <file.csv>`: uploads a CSV of leads to the API's importer, streamed, with a
// progress bar on stderr; prints what was imported and every row that was not.
import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import type { ImportResult } from '../api/csvImport';
import { apiAnswer, resolveApiTarget, type ApiTarget } from './apiClient';
import { InputError } from './inputs';

export interface ImportOptions extends ApiTarget {
  /** Lead fields by column, as JSON: `{"email":"E-mail address"}`. */
  mapping?: string;
}

export async function runImport(file: string, options: ImportOptions, env: Record<string, string | undefined> = process.env): Promise<ImportResult> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw new InputError(`${file}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const { api, key } = resolveApiTarget(options, env);

  const bar = new SingleBar({ format: 'importing [{bar}] {percentage}% | {value}/{total} bytes', stream: process.stderr, hideCursor: true });
  bar.start(size, 0);
  const counted = fs.createReadStream(file).pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bar.increment(chunk.length);
        done(null, chunk);
      },
    }),
  );
  const url = `${api}/v1/leads/import${options.mapping ? `?mapping=${encodeURIComponent(options.mapping)}` : ''}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      body: Readable.toWeb(counted) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
  } catch (err) {
    throw new InputError(`cannot reach the API at ${api}: ${(err as Error).cause ?? (err as Error).message}`);
  } finally {
    bar.stop();
  }
  return apiAnswer<ImportResult>(response);
}

export function formatImport(result: ImportResult): string {
  const lines = [`imported ${result.imported}, updated ${result.updated}, failed ${result.failed.length}`];
  for (const failure of result.failed) lines.push(`  row ${failure.row}: ${failure.field}: ${failure.message}`);
  return lines.join('\n');
}
