// The outbox as web pages on loopback (node:http): the latest messages, and one message with its
// headers, its HTML (in a sandboxed frame: no scripts, no navigation) and its text.
import fs from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { emlPath, listOutbox, readEntry, type OutboxEntry } from './outbox';

const LIST_LIMIT = 200;

export interface OutboxPage {
  url: string;
  close(): Promise<void>;
}

export async function startOutboxPage(dir: string): Promise<OutboxPage> {
  const server = createServer((request, response) => {
    const route = new URL(request.url ?? '/', 'http://localhost').pathname;
    answer(route, dir, response).catch((err: Error) => send(response, 500, 'text/plain', `outbox: ${err.message}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function answer(route: string, dir: string, response: ServerResponse): Promise<void> {
  if (route === '/') return send(response, 200, 'text/html', listPage(await listOutbox(dir, { limit: LIST_LIMIT })));
  const [, id, raw] = /^\/messages\/([^/]+?)(\.eml)?$/.exec(route) ?? [];
  const entry = id ? await readEntry(dir, id) : undefined;
  if (!entry) return send(response, 404, 'text/plain', 'no such message in the outbox');
  if (entry.channel === 'sms') return send(response, 200, 'text/html', messagePage(entry));
  const eml = await fs.readFile(emlPath(dir, entry.id));
  if (raw) return send(response, 200, 'message/rfc822', eml);
  return send(response, 200, 'text/html', messagePage(entry, await simpleParser(eml)));
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store' }).end(body);
}

function listPage(entries: OutboxEntry[]): string {
  const rows = entries.map(
    (entry) =>
      `<tr><td>${escape(entry.receivedAt.replace('T', ' ').slice(0, 19))}</td><td>${entry.channel}</td><td>${escape(entry.to)}</td>` +
      `<td><a href="/messages/${entry.id}">${escape(entry.subject ?? firstLine(entry.text))}</a></td></tr>`,
  );
  const body = entries.length
    ? `<table><tr><th>received (UTC)</th><th>channel</th><th>to</th><th>subject</th></tr>${rows.join('')}</table>`
    : '<p>Nothing sent yet.</p>';
  return page('Outbox', `<h1>Outbox</h1><p>The latest ${LIST_LIMIT} messages, newest first.</p>${body}`);
}

function messagePage(entry: OutboxEntry, mail?: ParsedMail): string {
  const headers: [string, string | undefined][] = [
    ['From', entry.from],
    ['To', entry.to],
    ['Subject', entry.subject],
    ['Date', entry.date ?? entry.receivedAt],
    [entry.channel === 'sms' ? 'SID' : 'Message-ID', entry.messageId],
    ['List-Unsubscribe', headerText(mail, 'list-unsubscribe')],
    ['List-Unsubscribe-Post', headerText(mail, 'list-unsubscribe-post')],
  ];
  const table = headers.flatMap(([name, value]) => (value ? [`<tr><th>${name}</th><td>${escape(value)}</td></tr>`] : [])).join('');
  const html = mail && typeof mail.html === 'string' ? `<h2>HTML</h2><iframe sandbox srcdoc="${escape(mail.html)}"></iframe>` : '';
  const raw = mail ? ` · <a href="/messages/${entry.id}.eml">raw .eml</a>` : '';
  return page(
    entry.subject ?? `SMS to ${entry.to}`,
    `<p><a href="/">← outbox</a>${raw}</p><table>${table}</table>${html}<h2>Text</h2><pre>${escape(entry.text)}</pre>`,
  );
}

/** A header as mailparser keeps it: List-* headers become objects, so the raw line is used. */
function headerText(mail: ParsedMail | undefined, name: string): string | undefined {
  const line = mail?.headerLines.find((header) => header.key === name)?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n\s+/g, ' ').trim();
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.slice(0, 120);
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title><style>
body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}
th,td{text-align:left;padding:.3em .8em;border-bottom:1px solid #ddd;vertical-align:top}
iframe{width:100%;height:32em;border:1px solid #ccc}pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}
</style></head><body>${body}</body></html>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
