// Input an attacker or a sloppy integration sends, over real HTTP to the API on PostgreSQL and the
// dev server: a NUL byte or a lone surrogate anywhere, bodies nested too deep, event times from
// another age, one event id twice with different content, a __proto__ key, a forged cursor. Each
// is refused with a 4xx that names the field, never a 500, and nothing is written.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { parse } from 'csv-parse/sync';
import type { Pool } from 'pg';
import { exportLeads } from '../../cli/leadExport';
import { callApi, withApi } from '../support/api';
import { anyHourCatalog, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const catalog = anyHourCatalog();
const adminKey = `admin-${randomUUID()}`;
let pool: Pool, nativeConnection: NativeConnection, client: Client;
useIntegrationServers(catalog, (servers) => ({ pool, nativeConnection, client } = servers), { adminKey });

const pageView = (leadId: string, occurredAt = new Date().toISOString(), url = 'https://example.com/pricing') => ({
  eventId: randomUUID(),
  leadId,
  type: 'page_view',
  occurredAt,
  properties: { url, category: 'pricing' },
});

function withHostileApi(body: (call: (method: string, route: string, payload?: unknown, raw?: string) => ReturnType<typeof callApi>, url: string) => Promise<void>) {
  return withWorkers({ client, nativeConnection }, { catalog }, ({ taskQueue }) =>
    withApi({ pool, client, taskQueue }, ({ url }) => body((method, route, payload, raw) => callApi(`${url}${route}`, method, adminKey, payload, raw), url)),
  );
}

const storedEvents = async (leadId: string) => Number((await pool.query('SELECT count(*) FROM events WHERE lead_id = $1', [leadId])).rows[0].count);

it('refuses a NUL byte or a lone surrogate wherever it comes, naming where, and writes nothing', async () => {
  await withHostileApi(async (call) => {
    const leadId = `lead-${randomUUID()}`;
    expect(await call('POST', '/v1/leads', { id: `${leadId}\u0000x`, email: 'ana@northwind.example' })).toMatchObject({
      status: 400,
      body: { error: 'refused input', details: [{ path: 'body.id', message: 'the text holds a NUL character (\\u0000)' }] },
    });
    // A lone surrogate cannot be written as JSON.stringify would escape it: sent as the raw escape.
    expect(await call('POST', '/v1/leads', undefined, `{"id":"${leadId}\\ud800","email":"ana@northwind.example"}`)).toMatchObject({
      status: 400,
      body: { details: [{ path: 'body.id', message: 'the text holds a lone UTF-16 surrogate: not valid Unicode' }] },
    });
    expect((await call('GET', `/v1/leads/${leadId}`)).status).toBe(404);

    expect((await call('POST', '/v1/events', pageView(leadId, undefined, 'https://example.com/\u0000'))).body).toMatchObject({ details: [{ path: 'body.properties.url' }] });
    expect((await call('POST', '/v1/events', { events: [pageView(leadId), { ...pageView(leadId), properties: { url: 'https://example.com/a', category: 'pricing', ['k\u0000']: 1 } }] })).body).toMatchObject({
      details: [{ path: 'body.events.1.properties.k\u0000', message: 'the key holds a NUL character (\\u0000)' }],
    });
    expect(await call('GET', `/v1/leads/a%00b`)).toMatchObject({ status: 400, body: { details: [{ path: 'params.id' }] } });
    expect(await call('GET', '/v1/leads?source=web%00')).toMatchObject({ status: 400, body: { details: [{ path: 'query.source' }] } });
    expect(await storedEvents(leadId)).toBe(0);
  });
});

it('refuses bodies nested deeper than 32 levels and keys that reach the prototype', async () => {
  await withHostileApi(async (call) => {
    const leadId = `lead-${randomUUID()}`;
    let nested: Record<string, unknown> = { end: true };
    for (let i = 0; i < 40; i++) nested = { inner: nested };
    const deep = await call('POST', '/v1/events', { ...pageView(leadId), properties: { url: 'https://example.com/a', category: 'pricing', nested } });
    expect(deep).toMatchObject({ status: 400, body: { details: [{ message: 'nested deeper than 32 levels' }] } });
    expect(await call('POST', '/v1/leads', undefined, `{"id":"${leadId}","__proto__":{"admin":true}}`)).toMatchObject({
      status: 400,
      body: { error: 'forbidden key', details: [{ path: 'body', message: 'the keys __proto__ and constructor.prototype are refused' }] },
    });
    expect(await storedEvents(leadId)).toBe(0);
  });
});

it('refuses event times before 2000 or ahead of the clock, and an event id twice with different content', async () => {
  await withHostileApi(async (call) => {
    const leadId = `lead-${randomUUID()}`;
    for (const [occurredAt, message] of [
      ['0000-01-01T00:00:00Z', 'is before 2000-01-01'],
      ['1900-06-01T00:00:00Z', 'is before 2000-01-01'],
      ['9999-12-31T00:00:00Z', 'is in the future'],
      [new Date(Date.now() + 2 * 3_600_000).toISOString(), 'is in the future'],
    ]) {
      expect(await call('POST', '/v1/events', pageView(leadId, occurredAt))).toMatchObject({ status: 422, body: { details: [{ path: 'body.occurredAt', message }] } });
    }
    const first = pageView(leadId);
    const twice = await call('POST', '/v1/events', { events: [first, { ...first, properties: { url: 'https://example.com/other', category: 'pricing' } }] });
    expect(twice).toMatchObject({ status: 422, body: { details: [{ path: 'body.events.1.eventId', message: `${first.eventId} comes twice in the batch with different content` }] } });
    expect(await storedEvents(leadId)).toBe(0);
    // An empty batch names its list.
    expect(await call('POST', '/v1/events', { events: [] })).toMatchObject({ status: 400, body: { details: [{ path: 'body.events', message: 'Too small: expected array to have >=1 items' }] } });
    // The same event twice is one event and a duplicate, as before.
    expect(await call('POST', '/v1/events', { events: [first, first] })).toMatchObject({ status: 202, body: { accepted: 1, duplicates: 1 } });
  });
});

it('refuses a list cursor the API did not give', async () => {
  await withHostileApi(async (call) => {
    expect(await call('GET', '/v1/leads?cursor=not-a-cursor!')).toMatchObject({ status: 400, body: { details: [{ path: 'query.cursor', message: 'is not a cursor this API gave' }] } });
    expect(await call('GET', '/v1/handoffs?cursor=Zm9v')).toMatchObject({ status: 400, body: { details: [{ path: 'query.cursor' }] } });
    // One the API gave goes on.
    const source = `cursor-${randomUUID().slice(0, 8)}`;
    for (const n of [1, 2]) expect((await call('POST', '/v1/leads', { id: `lead-${n}-${randomUUID()}`, source })).status).toBe(201);
    const page = await call('GET', `/v1/leads?limit=1&source=${source}`);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    expect((await call('GET', `/v1/leads?limit=1&source=${source}&cursor=${page.body.nextCursor}`)).body.items).toHaveLength(1);
  });
});

it('refuses a CSV that is empty or not UTF-8, saying what to do, and imports nothing from it', async () => {
  await withHostileApi(async (_call, url) => {
    const prefix = `enc-${randomUUID().slice(0, 8)}`;
    const upload = async (bytes: Buffer) => {
      const response = await fetch(`${url}/v1/leads/import`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv' }, body: bytes });
      return { status: response.status, body: (await response.json()) as { error: string; details: { path: string; message: string }[] } };
    };
    const text = `id,email,firstName\n${prefix}-1,jose@acme.example,José\n`;
    expect(await upload(Buffer.alloc(0))).toMatchObject({ status: 400, body: { error: 'unreadable CSV', details: [{ path: 'body', message: 'the file is empty' }] } });
    expect((await upload(Buffer.from(text, 'latin1'))).body.details[0]!.message).toBe('the file is not UTF-8 (Windows-1252 or Latin-1, as older spreadsheets save): save it as "CSV UTF-8" and send it again');
    expect((await upload(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))).body.details[0]!.message).toBe('the file is UTF-16 text: save it as "CSV UTF-8" and send it again');
    expect((await upload(Buffer.from(text, 'utf16le'))).body.details[0]!.message).toMatch(/^the file holds NUL bytes \(UTF-16 without a byte-order mark/);
    expect((await pool.query('SELECT count(*)::int AS n FROM leads WHERE id LIKE $1', [`${prefix}-%`])).rows[0].n).toBe(0);
    // The same file as UTF-8 imports, accents intact.
    expect(await upload(Buffer.from(text, 'utf8'))).toMatchObject({ status: 200, body: { imported: 1 } });
    expect((await pool.query('SELECT first_name FROM leads WHERE id = $1', [`${prefix}-1`])).rows[0].first_name).toBe('José');
  });
});

it('takes lead and event ids of letters, digits and _ - . : @ up to 128, and bounds free-form properties and attributes', async () => {
  await withHostileApi(async (call) => {
    const leadId = `ana@northwind.example:${randomUUID().slice(0, 8)}`;
    expect(await call('POST', '/v1/leads', { id: '../../etc/passwd' })).toMatchObject({
      status: 400,
      body: { details: [{ path: 'body.id', message: 'may hold only letters, digits and _ - . : @' }] },
    });
    expect(await call('POST', '/v1/leads', { id: 'x'.repeat(129) })).toMatchObject({ status: 400, body: { details: [{ path: 'body.id' }] } });
    expect((await call('POST', '/v1/events', { ...pageView('lead 7'), eventId: 'evt/1' })).body.details.map((detail: { path: string }) => detail.path)).toEqual(['body.eventId', 'body.leadId']);
    expect((await call('GET', `/v1/leads/${encodeURIComponent('../../etc/passwd')}`)).status).toBe(404);

    const tooManyAttributes = Object.fromEntries(Array.from({ length: 201 }, (_, n) => [`a${n}`, n]));
    expect(await call('POST', '/v1/leads', { id: leadId, attributes: tooManyAttributes })).toMatchObject({
      status: 400,
      body: { details: [{ path: 'body.attributes', message: 'holds 201 keys; at most 200' }] },
    });
    let nested: Record<string, unknown> = { end: true };
    for (let level = 0; level < 9; level++) nested = { inner: nested };
    const properties = (extra: Record<string, unknown>) => ({ url: 'https://example.com/pricing', category: 'pricing', ...extra });
    expect((await call('POST', '/v1/events', { ...pageView(leadId), properties: properties({ nested }) })).body).toMatchObject({
      details: [{ path: 'body.properties', message: 'nested 11 levels deep; at most 8' }],
    });
    expect((await call('POST', '/v1/events', { ...pageView(leadId), properties: properties({ blob: 'x'.repeat(70_000) }) })).body).toMatchObject({
      details: [{ path: 'body.properties', message: expect.stringMatching(/^is \d+ bytes as JSON; at most 65536$/) }],
    });
    expect(await storedEvents(leadId)).toBe(0);
    expect((await call('GET', `/v1/leads/${encodeURIComponent(leadId)}`)).status).toBe(404);

    // Within the limits, an email address as the id and UTM tags three levels deep are stored as sent.
    expect((await call('POST', '/v1/leads', { id: leadId, attributes: { plan: 'team' } })).status).toBe(201);
    const utm = { campaign: { source: { medium: 'cpc' } } };
    expect((await call('POST', '/v1/events', { ...pageView(leadId), properties: properties({ utm }) })).status).toBe(202);
    expect((await pool.query('SELECT properties FROM events WHERE lead_id = $1', [leadId])).rows[0].properties).toMatchObject({ utm });
  });
});

it('exports leads as CSV whose formula-like cells a spreadsheet shows as text (nurture leads export)', async () => {
  await withHostileApi(async (call, url) => {
    const source = `export-${randomUUID().slice(0, 8)}`;
    const hostile = { id: `${source}-1`, firstName: '=HYPERLINK("https://evil.example","Click")', company: '@SUM(A1:A9)', title: '-2+3', phone: '+1 415 555 0100', source, attributes: { note: '+cmd' } };
    expect((await call('POST', '/v1/leads', hostile)).status).toBe(201);
    expect((await call('POST', '/v1/leads', { id: `${source}-2`, firstName: 'José', companySize: 40, consent: { email: true }, source })).status).toBe(201);

    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'export-')), 'leads.csv');
    expect(await exportLeads({ api: url, key: adminKey, source, out }, undefined, {})).toBe(`saved the leads to ${out}`);
    const rows = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      id: hostile.id,
      firstName: `'${hostile.firstName}`,
      company: "'@SUM(A1:A9)",
      title: "'-2+3",
      phone: expect.stringMatching(/^'\+/),
      attributes: JSON.stringify({ note: '+cmd' }),
    });
    expect(rows[1]).toMatchObject({ firstName: 'José', companySize: '40', emailConsent: 'yes', smsConsent: '', stage: expect.any(String) });
    // An unknown filter value exports the header alone; a bad one is refused by its field.
    await expect(exportLeads({ api: url, key: adminKey, stage: 'x'.repeat(60) }, undefined, {})).rejects.toThrow('query.stage');
  });
});
