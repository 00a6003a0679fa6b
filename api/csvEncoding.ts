// What a CSV upload must be before its first row is read: some bytes, and UTF-8 text. A spreadsheet's
// other encodings (UTF-16 from "Unicode text", Windows-1252/Latin-1 from an old "CSV") would be
// imported as mangled names, so they are refused with what to do instead. The first chunk decides;
// bytes that are not UTF-8 further on fail their rows (csv-parse reads them as replacement text).
import { Readable } from 'node:stream';

export class CsvRefused extends Error {
  override name = 'CsvRefused';
}

const SAVE_AS = 'save it as "CSV UTF-8" and send it again';

/** The upload again, from its first byte, once its start is UTF-8 text; CsvRefused otherwise. */
export async function utf8Csv(input: Readable): Promise<Readable> {
  const chunks = input[Symbol.asyncIterator]();
  const first = await chunks.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Buffer);
  if (head.length === 0) throw new CsvRefused('the file is empty');
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) throw new CsvRefused(`the file is UTF-16 text: ${SAVE_AS}`);
  if (head.includes(0)) throw new CsvRefused(`the file holds NUL bytes (UTF-16 without a byte-order mark, or not text): ${SAVE_AS}`);
  try {
    // `stream`: a character cut at the chunk's end is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    throw new CsvRefused(`the file is not UTF-8 (Windows-1252 or Latin-1, as older spreadsheets save): ${SAVE_AS}`);
  }
  return Readable.from(
    (async function* () {
      yield head;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value as Buffer;
    })(),
  );
}
