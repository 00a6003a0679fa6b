// The local sinks of `nurture start` keep what the engine's own clients (nodemailer, the Twilio SDK)
// send them in the data folder's outbox, which `nurture outbox` prints and the outbox pages show.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { createTwilioClient } from '../../channels/sms';
import type { Part } from '../../app/part';
import { parseConfig } from '../../app/config';
import { listOutbox, outboxDir, outboxLines } from '../../devstack/outbox';
import { startLocalSinks, type LocalSinks } from '../../devstack/sinks';

let dataDir: string;
let sinks: LocalSinks;
const parts: Part[] = [];

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-outbox-'));
  sinks = await startLocalSinks(parseConfig({}), dataDir, parts);
});

afterAll(async () => {
  for (const part of parts.reverse()) await part.stop();
});

async function page(route: string) {
  const response = await fetch(`${sinks.outboxUrl}${route}`);
  return { status: response.status, text: await response.text() };
}

it('points the delivery settings at the local sinks only for what the environment leaves unset', async () => {
  expect(sinks.config).toEqual({
    SMTP_URL: expect.stringMatching(/^smtp:\/\/127\.0\.0\.1:\d+$/),
    TWILIO_ACCOUNT_SID: expect.stringMatching(/^AC[0-9a-f]{32}$/),
    TWILIO_AUTH_TOKEN: expect.any(String),
    TWILIO_FROM: expect.stringMatching(/^\+\d+$/),
    TWILIO_API_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
  });
  const configured: Part[] = [];
  expect(await startLocalSinks(parseConfig({ SMTP_URL: 'smtp://mail.example:25', TWILIO_FROM: '+15005550006' }), dataDir, configured)).toEqual({ config: {}, local: [] });
  expect(configured).toEqual([]);
});

it('keeps an email as its .eml and a summary, lists it, and shows its headers, HTML and text', async () => {
  const transport = nodemailer.createTransport({ url: sinks.config.SMTP_URL });
  await transport.sendMail({
    from: 'Nurture <nurture@localhost>',
    to: 'Ana <ana@northwind.example>',
    subject: 'Pricing for Northwind, in one page',
    text: 'Hi Ana,\nthe pricing guide.',
    html: '<p>Hi Ana, <a href="https://example.com">the pricing guide</a>.<script>alert(1)</script></p>',
    messageId: '<welcome-1@localhost>',
    headers: { 'List-Unsubscribe': '<https://nurture.example/u/token>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  });
  transport.close();

  const [entry] = await listOutbox(outboxDir(dataDir), { limit: 1 });
  expect(entry).toMatchObject({
    channel: 'email',
    to: 'Ana <ana@northwind.example>',
    from: 'Nurture <nurture@localhost>',
    subject: 'Pricing for Northwind, in one page',
    messageId: '<welcome-1@localhost>',
    text: 'Hi Ana,\nthe pricing guide.',
  });
  expect(fs.readFileSync(path.join(outboxDir(dataDir), `${entry!.id}.eml`), 'utf8')).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  expect((await outboxLines(dataDir, { limit: 5 })).join('\n')).toContain('email  Ana <ana@northwind.example>  "Pricing for Northwind, in one page"');

  expect((await page('/')).text).toContain(`<a href="/messages/${entry!.id}">Pricing for Northwind, in one page</a>`);
  const message = await page(`/messages/${entry!.id}`);
  expect(message.status).toBe(200);
  expect(message.text).toContain('<th>List-Unsubscribe</th><td>&#60;https://nurture.example/u/token&#62;</td>');
  // The HTML is shown in a frame without scripts, and escaped into its srcdoc.
  expect(message.text).toMatch(/<iframe sandbox srcdoc="[^"]*&#60;script&#62;/);
  expect(message.text).toContain('<pre>Hi Ana,\nthe pricing guide.</pre>');
  expect((await page(`/messages/${entry!.id}.eml`)).text).toContain('Subject: Pricing for Northwind, in one page');
});

it('keeps a text sent through the Twilio SDK', async () => {
  const client = createTwilioClient({ accountSid: sinks.config.TWILIO_ACCOUNT_SID!, authToken: sinks.config.TWILIO_AUTH_TOKEN!, apiUrl: sinks.config.TWILIO_API_URL! });
  const sent = await client.messages.create({ to: '+14155552100', from: sinks.config.TWILIO_FROM!, body: 'Your trial ends Friday. Reply STOP to opt out.' });

  const [entry] = await listOutbox(outboxDir(dataDir), { limit: 1 });
  expect(entry).toMatchObject({ channel: 'sms', to: '+14155552100', messageId: sent.sid, text: 'Your trial ends Friday. Reply STOP to opt out.' });
  expect((await outboxLines(dataDir, { limit: 1 }))[1]).toMatch(/ sms    \+14155552100  "Your trial ends Friday\. Reply STOP to opt out\."$/);
  expect((await page(`/messages/${entry!.id}`)).text).toContain(`<th>SID</th><td>${sent.sid}</td>`);
});

it('answers 404 for an id that is not in the outbox, whatever it looks like', async () => {
  expect((await page('/messages/20260101T000000000Z-abcdef')).status).toBe(404);
  expect((await page('/messages/..%2Fsecrets')).status).toBe(404);
});
