// The local outbox of `nurture start`: every email and text the local sinks accept, kept as files
// under the data folder so they outlive a restart, and the lines `nurture outbox` prints of them.
// An email is its raw .eml plus a JSON summary; a text is the summary alone. Summaries are the
// index: one is written last, so a listed email always has its .eml.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { z } from 'zod';

const outboxEntrySchema = z.object({
  id: z.string(),
  channel: z.enum(['email', 'sms']),
  /** When the sink accepted it (ISO). */
  receivedAt: z.string(),
  to: z.string(),
  from: z.string().optional(),
  subject: z.string().optional(),
  /** The email's Date header (ISO). */
  date: z.string().optional(),
  /** The email's Message-ID, or the SMS sid. */
  messageId: z.string().optional(),
  text: z.string(),
});
export type OutboxEntry = z.infer<typeof outboxEntrySchema>;

/** Ids sort by arrival (a compact UTC time, then a random tail) and are safe as file names. */
const ID = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

export function outboxDir(dataDir: string): string {
  return path.join(dataDir, 'outbox');
}

function newId(at: Date): string {
  return `${at.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

export function emlPath(dir: string, id: string): string {
  return path.join(dir, `${id}.eml`);
}

/** Keeps a raw email: the .eml as received, then its summary. */
export async function saveEmail(dir: string, raw: Buffer): Promise<OutboxEntry> {
  const receivedAt = new Date();
  const id = newId(receivedAt);
  const mail = await simpleParser(raw);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(emlPath(dir, id), raw);
  return writeEntry(dir, {
    id,
    channel: 'email',
    receivedAt: receivedAt.toISOString(),
    to: mail.to ? addressText(mail.to) : '',
    ...(mail.from ? { from: addressText(mail.from) } : {}),
    ...(mail.subject !== undefined ? { subject: mail.subject } : {}),
    ...(mail.date ? { date: mail.date.toISOString() } : {}),
    ...(mail.messageId ? { messageId: mail.messageId } : {}),
    text: mail.text ?? '',
  });
}

/** `Name <address>, …` without the quotes mailparser's own text puts around every name. */
function addressText(addresses: AddressObject | AddressObject[]): string {
  const all = [addresses].flat().flatMap((group) => group.value);
  return all.map(({ name, address }) => (name ? `${name} <${address ?? ''}>` : (address ?? ''))).join(', ');
}

/** Keeps a text message. */
export async function saveText(dir: string, sms: { to: string; from?: string; sid: string; body: string }): Promise<OutboxEntry> {
  const receivedAt = new Date();
  await fs.mkdir(dir, { recursive: true });
  return writeEntry(dir, {
    id: newId(receivedAt),
    channel: 'sms',
    receivedAt: receivedAt.toISOString(),
    to: sms.to,
    ...(sms.from ? { from: sms.from } : {}),
    messageId: sms.sid,
    text: sms.body,
  });
}

async function writeEntry(dir: string, entry: OutboxEntry): Promise<OutboxEntry> {
  // Renamed into place, so a reader never sees half a summary.
  const file = path.join(dir, `${entry.id}.json`);
  await fs.writeFile(`${file}.tmp`, JSON.stringify(entry, null, 2));
  await fs.rename(`${file}.tmp`, file);
  return entry;
}

/** The latest `limit` entries, newest first; none when nothing was received yet. */
export async function listOutbox(dir: string, { limit }: { limit: number }): Promise<OutboxEntry[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ids = names
    .flatMap((name) => (name.endsWith('.json') && ID.test(name.slice(0, -5)) ? [name.slice(0, -5)] : []))
    .sort()
    .reverse()
    .slice(0, limit);
  const entries = await Promise.all(ids.map((id) => readEntry(dir, id)));
  return entries.filter((entry): entry is OutboxEntry => entry !== undefined);
}

/** One entry by id; undefined for an unknown or malformed id. */
export async function readEntry(dir: string, id: string): Promise<OutboxEntry | undefined> {
  if (!ID.test(id)) return undefined;
  try {
    const parsed = outboxEntrySchema.safeParse(JSON.parse(await fs.readFile(path.join(dir, `${id}.json`), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Gone or unreadable: not in the outbox.
    return undefined;
  }
}

/** The lines `nurture outbox` prints: a heading, then one per message, newest first. */
export async function outboxLines(dataDir: string, { limit }: { limit: number }): Promise<string[]> {
  const dir = outboxDir(dataDir);
  const entries = await listOutbox(dir, { limit });
  if (!entries.length) return [`outbox: nothing received yet in ${dir}`];
  return [
    `outbox: the latest ${entries.length} in ${dir}, newest first`,
    ...entries.map((entry) => {
      const when = entry.receivedAt.replace('T', ' ').slice(0, 19);
      const what = entry.channel === 'email' ? `${JSON.stringify(entry.subject ?? '')}  ${path.join(dir, `${entry.id}.eml`)}` : JSON.stringify(entry.text);
      return `${when}  ${entry.channel.padEnd(5)}  ${entry.to}  ${what}`;
    }),
  ];
}

export async function printOutbox(dataDir: string, { limit = 20 }: { limit?: number } = {}): Promise<void> {
  console.log((await outboxLines(dataDir, { limit })).join('\n'));
}
