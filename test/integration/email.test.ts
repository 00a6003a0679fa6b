import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer, { type Transporter } from 'nodemailer';
import { Pool } from 'pg';
import { SMTPServer } from 'smtp-server';
import { createDeliveryActivities } from '../../activities/delivery';
import type { EmailSettings } from '../../channels/email';
import { recordedLinks } from '../../db/repositories/sends';
import { verifyToken } from '../../channels/tokens';
import type { DeliveryActivities } from '../../activities/types';
import { createLead, step } from '../../core/engine';
import { type Command, type Touch } from '../../core/protocol';
import type { Lead } from '../../core/model/lead';
import { loadTemplates, TemplateRenderer } from '../../channels/templates';
import { TEMPLATES_DIR } from '../../sequences/library';
import { anyHourCatalog } from '../support/harness';
import { recordConsent } from '../../db/repositories/consent';
import { deliverTo } from '../support/channelTouches';

const settings: EmailSettings = {
  from: 'Sam Lee <sam@relay.example>',
  sender: { name: 'Sam Lee', company: 'Relay', address: '1 Main St, Springfield' },
  publicUrl: 'https://nurture.relay.example',
  signingSecret: 'test-secret',
  domain: 'relay.example',
  offers: { pricing_guide: 'https://relay.example/assets/pricing-guide.pdf' },
};

let pool: Pool;
let smtp: SMTPServer;
let transport: Transporter;
let delivery: DeliveryActivities;
const received: ParsedMail[] = [];

beforeAll(async () => {
  pool = new Pool({ connectionString: process.env.DATABASE_URL });
  // A real SMTP server on loopback; it refuses recipients at bounce.example as a mail host would.
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.endsWith('@bounce.example')) return callback(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true });
  delivery = createDeliveryActivities({ pool, renderer: new TemplateRenderer(loadTemplates(TEMPLATES_DIR)), email: { transport, settings } });
});

afterAll(async () => {
  transport?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await pool?.end();
});

const START = Date.parse('2026-03-02T09:00:00Z');

/** The first touch the engine decides for a new fast-track lead, exactly as the workflow gets it. */
function firstTouch(lead: Lead): Touch {
  return sendIn(createLead(lead, START, anyHourCatalog(), 'fast-track').commands);
}

/** The fast track's second touch two days later: the pricing guide, a middle offer with links. */
function offerTouch(lead: Lead): Touch {
  const catalog = anyHourCatalog();
  const { state } = createLead(lead, START, catalog, 'fast-track');
  return sendIn(step(state, { kind: 'wake' }, START + 2 * 24 * 60 * 60 * 1000, catalog).commands);
}

function sendIn(commands: Command[]): Touch {
  const send = commands.find((c) => c.type === 'send');
  if (send?.type !== 'send') throw new Error('the engine decided no touch');
  return send.touch;
}

const newLead = (email: string): Lead => ({ id: `lead-${randomUUID()}`, email, firstName: 'Ada', lastName: 'Byrne' });

async function ledgerRow(key: string) {
  return (await pool.query('SELECT status, provider_id, error, links FROM sends WHERE idempotency_key = $1', [key])).rows[0];
}

describe('email delivery', () => {
  it('delivers the rendered email to a real SMTP server with one-click unsubscribe, tracked links and an idempotent Message-ID', async () => {
    const lead = newLead('ada@northwind.example');
    const touch = offerTouch(lead);
    const before = received.length;
    const result = await deliverTo(delivery, pool, lead, touch);
    expect(result).toMatchObject({ status: 'sent' });
    expect(received).toHaveLength(before + 1);
    const mail = received[received.length - 1]!;
    expect(mail.to).toMatchObject({ value: [{ address: 'ada@northwind.example', name: 'Ada Byrne' }] });
    expect(mail.subject).toBe('The pricing guide: what a team like yours would pay');
    expect(header(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    // One-click only: a mailto: would promise a mailbox nobody reads.
    expect(header(mail, 'list-unsubscribe')).toMatch(/^<https:\/\/nurture\.relay\.example\/u\/[^>]+>$/);
    expect(mail.text).toContain('Hi Ada,');
    expect(mail.text).toMatch(/Unsubscribe: https:\/\/nurture\.relay\.example\/u\//);
    expect(mail.html).toContain('/t/o/');
    // The same touch always has the same Message-ID, so a resend after a crash is recognisable.
    expect(mail.messageId).toBe(firstTouchMessageId(touch));

    const row = await ledgerRow(touch.idempotencyKey);
    expect(row).toMatchObject({ status: 'sent', provider_id: mail.messageId });
    // Every outside link became a signed click redirect to a URL recorded for this send.
    const clicks = [...String(mail.html).matchAll(/href="https:\/\/nurture\.relay\.example\/t\/c\/([^"]+)"/g)].map((m) => verifyToken(m[1]!, settings.signingSecret));
    expect(clicks.length).toBeGreaterThan(0);
    expect(clicks.map((click) => row.links[click!.link!])).toEqual(['https://relay.example/assets/pricing-guide.pdf']);
    expect(await recordedLinks(pool, touch.idempotencyKey)).toEqual(row.links);
  });

  it('does not send a touch twice when the activity runs again', async () => {
    const lead = newLead('bo@northwind.example');
    const touch = firstTouch(lead);
    expect(await deliverTo(delivery, pool, lead, touch)).toMatchObject({ status: 'sent' });
    const after = received.length;
    expect(await deliverTo(delivery, pool, lead, touch)).toEqual({ status: 'duplicate' });
    expect(received).toHaveLength(after);
  });

  it('lets an unsubscribe that races the send win: a suppressed lead gets nothing', async () => {
    const lead = newLead('cy@northwind.example');
    await recordConsent(pool, [{ leadId: lead.id, channel: 'email', granted: false, source: 'one-click', at: Date.now() }]);
    const touch = firstTouch(lead);
    const before = received.length;
    expect(await deliverTo(delivery, pool, lead, touch)).toEqual({ status: 'failed', reason: 'suppressed' });
    expect(received).toHaveLength(before);
    expect(await ledgerRow(touch.idempotencyKey)).toMatchObject({ status: 'suppressed' });
  });

  it('reports a refused recipient as a permanent invalid address, once', async () => {
    const lead = newLead('nobody@bounce.example');
    const touch = firstTouch(lead);
    const result = await deliverTo(delivery, pool, lead, touch);
    expect(result).toMatchObject({ status: 'failed', reason: 'invalid_address' });
    expect(await ledgerRow(touch.idempotencyKey)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^invalid_address: .*550/) });
    // A retry does not knock on the mail server again; it gets the same answer.
    expect(await deliverTo(delivery, pool, lead, touch)).toMatchObject({ status: 'failed', reason: 'invalid_address' });
  });
});

/** A header as it arrived, unfolded (mailparser's parsed map leaves some list headers out). */
function header(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name)?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n\s+/g, ' ').trim();
}

function firstTouchMessageId(touch: Touch): string {
  // sha256 of the idempotency key, as composeEmail derives it.
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return `<${createHash('sha256').update(touch.idempotencyKey).digest('hex').slice(0, 32)}@relay.example>`;
}
