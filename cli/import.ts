// `nurture import <file.csv>`: uploads a CSV of leads to the API's importer, streamed, with a
// progress bar on stderr; prints what was imported and every row that was not.
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import type { ImportResult } from '../api/import';
import { dataDir as defaultDataDir } from '../scripts/paths';
import { InputError } from './inputs';

export interface ImportOptions {
  /** The API's base URL (default: NURTURE_API_URL, else the local engine on PORT). */
  api?: string;
  /** An API key with the ingest scope (default: NURTURE_API_KEY, else the local engine's dev key). */
  key?: string;
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
  const api = (options.api ?? env.NURTURE_API_URL ?? `http://127.0.0.1:${env.PORT || 3000}`).replace(/\/$/, '');
  const key = options.key ?? env.NURTURE_API_KEY ?? localDevKey(env.NURTURE_DATA_DIR ?? defaultDataDir);
  if (!key) throw new InputError('no API key: pass --key, or set NURTURE_API_KEY');

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
  const body = (await response.json()) as ImportResult & { error?: string; details?: { path: string; message: string }[] };
  if (!response.ok) throw new InputError(`${body.error ?? response.statusText}${body.details?.length ? `: ${body.details.map((d) => `${d.path}: ${d.message}`).join('; ')}` : ''}`);
  return body;
}

export function formatImport(result: ImportResult): string {
  const lines = [`imported ${result.imported}, updated ${result.updated}, failed ${result.failed.length}`];
  for (const failure of result.failed) lines.push(`  row ${failure.row}: ${failure.field}: ${failure.message}`);
  return lines.join('\n');
}

function localDevKey(dataDir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as { apiKey?: string }).apiKey;
  } catch {
    return undefined;
  }
}
