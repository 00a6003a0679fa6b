// The email that tells a rep a lead is theirs (or a manager that a rep let one wait): the lead's
// context and one-click action links signed for that rep alone, which expire. Rendered with liquidjs
// from channels/alerts/, sent through the same SMTP transport as the touches.
import fs from 'node:fs';
import path from 'node:path';
import { Liquid } from 'liquidjs';
import type { Transporter } from 'nodemailer';
import type { Twilio } from 'twilio';
import { z } from 'zod';
import type { Lead } from '../core/model/lead';
import type { RepInput } from '../core/model/routing';
import type { HandoffRequest } from '../core/protocol';
import { signPayload, verifyPayload } from './tokens';
import { SIGNATURE_HEADER, signWebhook } from './webhook';

export interface AlertSettings {
  transport: Transporter;
  from: string;
  /** Where the action links point (PUBLIC_URL). */
  publicUrl: string;
  /** NURTURE_LINK_SECRET: the links are signed with it. */
  signingSecret: string;
  /** How long a link acts; a week unless told. */
  linkTtlMs?: number;
  /** Texts to reps who ask for them (the deployment's Twilio sender). */
  sms?: { client: Twilio; from: string };
}

export const ACTIONS = ['accept', 'meeting-booked', 'reject'] as const;
export type SalesAction = (typeof ACTIONS)[number];

const actionTokenSchema = z.object({ kind: z.literal('handoff'), handoffId: z.string(), rep: z.string(), action: z.enum(ACTIONS), exp: z.number() });
export type ActionToken = z.infer<typeof actionTokenSchema>;

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/** The link that lets `rep`, and no one else, take `action` on the task until it expires. */
export function actionLink(settings: Pick<AlertSettings, 'publicUrl' | 'signingSecret' | 'linkTtlMs'>, handoffId: string, rep: string, action: SalesAction, now: number): string {
  const token: ActionToken = { kind: 'handoff', handoffId, rep, action, exp: now + (settings.linkTtlMs ?? WEEK_MS) };
  return `${settings.publicUrl.replace(/\/$/, '')}/s/${signPayload(token, settings.signingSecret)}`;
}

/** The action a link carries, when it was signed with `secret`; expiry is the caller's to check. */
export function readActionToken(text: string, secret: string): ActionToken | undefined {
  const parsed = actionTokenSchema.safeParse(verifyPayload(text, secret));
  return parsed.success ? parsed.data : undefined;
}

export interface HandoffAlert {
  /** `assigned`: the rep is told the task is theirs; `breach`: a manager that it waited too long. */
  kind: 'assigned' | 'breach';
  to: RepInput;
  handoff: HandoffRequest;
  lead: Lead | undefined;
  slaDueAt: string | null;
  /** The rep who has the task now, and the one who had it before a breach. */
  owner?: RepInput;
  previous?: RepInput;
}

const liquid = new Liquid({ root: path.join(__dirname, 'alerts'), strictFilters: true, cache: true });
const html = new Liquid({ root: path.join(__dirname, 'alerts'), strictFilters: true, outputEscape: 'escape', cache: true });
// Read once: the files are part of the build, so a missing one fails at start, not at the first alert.
for (const part of ['subject', 'text', 'html']) fs.accessSync(path.join(__dirname, 'alerts', `handoff.${part}.liquid`));

/**
 * Posts the alert to the rep's webhook: `text` with the action links (what a Slack incoming webhook
 * shows), the task, signed as the engine's webhooks are (with the link secret).
 */
export async function postAlert(alert: HandoffAlert, url: string, settings: AlertSettings, now: number): Promise<void> {
  const variables = alertVariables(alert, settings, now);
  const subject = (await liquid.renderFile('handoff.subject.liquid', variables)).trim();
  const { links } = variables;
  const text = links ? `${subject}\n<${links.accept}|Accept> · <${links.meeting}|Meeting booked> · <${links.reject}|Reject>` : subject;
  const body = JSON.stringify({ text, kind: alert.kind, rep: alert.to.id, handoff: { id: alert.handoff.id, leadId: alert.handoff.leadId, reason: alert.handoff.reason, slaDueAt: alert.slaDueAt }, links });
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signWebhook(body, settings.signingSecret, Math.floor(now / 1000)) },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`the alert webhook answered HTTP ${response.status}`);
}

/** Texts the alert to the rep's phone: who, why, and the link that accepts; resolves with the message SID. */
export async function textAlert(alert: HandoffAlert, sms: NonNullable<AlertSettings['sms']>, settings: AlertSettings, now: number): Promise<string> {
  const variables = alertVariables(alert, settings, now);
  const subject = (await liquid.renderFile('handoff.subject.liquid', variables)).trim();
  const body = variables.links ? `${subject}. Accept: ${variables.links.accept}` : subject;
  const message = await sms.client.messages.create({ to: alert.to.phone!, body, ...(sms.from.startsWith('MG') ? { messagingServiceSid: sms.from } : { from: sms.from }) });
  return message.sid;
}

/** Sends the alert; resolves with the message id. */
export async function sendAlert(alert: HandoffAlert, settings: AlertSettings, now: number): Promise<string> {
  const variables = alertVariables(alert, settings, now);
  const [subject, text, body] = await Promise.all([liquid.renderFile('handoff.subject.liquid', variables), liquid.renderFile('handoff.text.liquid', variables), html.renderFile('handoff.html.liquid', variables)]);
  const info = (await settings.transport.sendMail({ from: settings.from, to: { name: alert.to.name, address: alert.to.email! }, subject: subject.trim(), text, html: body })) as { messageId: string };
  return info.messageId;
}

function alertVariables(alert: HandoffAlert, settings: AlertSettings, now: number) {
  const { handoff, lead } = alert;
  const name = [lead?.firstName, lead?.lastName].filter(Boolean).join(' ') || lead?.email || 'A lead';
  const round = (value: number) => Math.round(value);
  return {
    breach: alert.kind === 'breach',
    rep: alert.to,
    owner: alert.owner,
    previous: alert.previous,
    lead: { name, title: lead?.title, company: lead?.company, email: lead?.email, phone: lead?.phone, industry: lead?.industry, size: lead?.companySize, country: lead?.country },
    task: { reason: handoff.reason, due: alert.slaDueAt ? new Date(alert.slaDueAt).toUTCString() : 'soon' },
    scores: {
      total: round(handoff.scores.total),
      fit: round(handoff.scores.fit),
      intent: round(handoff.scores.intent),
      top: [...handoff.scores.parts].sort((a, b) => Math.abs(b.points) - Math.abs(a.points)).slice(0, 5).map((part) => `${part.rule} ${part.points > 0 ? '+' : ''}${round(part.points)}`),
    },
    path: handoff.path.map((step) => step.key).join(' → '),
    pages: handoff.recentPages.map((page) => page.url).join(', '),
    downloads: handoff.downloads.map((download) => `${download.assetId} (${download.kind})`).join(', '),
    // Only the rep whose task it is gets links that act on it.
    links:
      alert.kind === 'assigned'
        ? {
            accept: actionLink(settings, handoff.id, alert.to.id, 'accept', now),
            meeting: actionLink(settings, handoff.id, alert.to.id, 'meeting-booked', now),
            reject: actionLink(settings, handoff.id, alert.to.id, 'reject', now),
          }
        : undefined,
  };
}
