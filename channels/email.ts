// Email through nodemailer: the touch's template rendered in the layout, links rewritten to signed
// click redirects (the originals recorded for the send), an open pixel, one-click unsubscribe
// headers (RFC 8058) and a Message-ID derived from the send's idempotency key.
import { createHash } from 'node:crypto';
import type { SendMailOptions, Transporter } from 'nodemailer';
import type { Touch } from '../core/protocol';
import type { Lead } from '../core/model/lead';
import type { TemplateRenderer } from './templates';
import type { LinkToken } from './tokens';
import type { DeliveryChannel } from './channel';
import { publicBase, renderVariables, touchToken, type MessageSettings } from './links';

export interface EmailSettings extends MessageSettings {
  /** `Name <address>` the email comes from. */
  from: string;
  /** The sending domain, for Message-IDs. */
  domain: string;
}

interface ComposedEmail {
  message: SendMailOptions;
  /** The URLs the click redirects of this email may lead to, by index. */
  links: string[];
}

function composeEmail(touch: Touch, lead: Lead, context: Record<string, unknown>, renderer: TemplateRenderer, settings: EmailSettings): ComposedEmail {
  const link = (kind: LinkToken['kind'], extra: Partial<LinkToken> = {}) => touchToken(touch, settings, kind, extra);
  const base = publicBase(settings);
  const variables = renderVariables(touch, lead, context, settings);
  const unsubscribeUrl = variables.links.unsubscribe;
  const rendered = renderer.renderEmail(touch.template!, variables);

  // Every outside link goes through a click redirect that may only lead back to it.
  const links: string[] = [];
  const html = rendered.html
    .replace(/href="(https?:\/\/[^"]+)"/g, (match, url: string) => {
      if (url.startsWith(`${base}/u/`)) return match;
      const original = url.replace(/&amp;/g, '&');
      let index = links.indexOf(original);
      if (index < 0) index = links.push(original) - 1;
      return `href="${base}/t/c/${link('click', { link: index })}"`;
    })
    .replace('</body>', `<img src="${base}/t/o/${link('open')}" width="1" height="1" alt="" style="display:none"></body>`);

  return {
    links,
    message: {
      from: settings.from,
      to: lead.firstName ? { name: [lead.firstName, lead.lastName].filter(Boolean).join(' '), address: lead.email! } : lead.email!,
      subject: rendered.subject,
      html,
      text: rendered.text,
      messageId: `<${createHash('sha256').update(touch.idempotencyKey).digest('hex').slice(0, 32)}@${settings.domain}>`,
      headers: {
        // One-click (RFC 8058) only: no mailto:, since no mailbox of the engine reads what comes back.
        'List-Unsubscribe': `<${unsubscribeUrl}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    },
  };
}

/**
 * Whether an SMTP failure is permanent, and what it says about the lead: a refused recipient is an
 * invalid address, any other 5xx a hard bounce. Undefined means transient (4xx, network): retry.
 */
function permanentEmailFailure(err: unknown): 'invalid_address' | 'hard_bounce' | undefined {
  const { responseCode, command } = err as { responseCode?: number; command?: string };
  if (!responseCode || responseCode < 500) return undefined;
  return command === 'RCPT TO' ? 'invalid_address' : 'hard_bounce';
}

/** Email behind the shared claim and consent checks: the composed message over an SMTP transport. */
export function emailChannel(transport: Transporter, settings: EmailSettings, renderer: TemplateRenderer): DeliveryChannel {
  return {
    prepare({ touch, lead, context }) {
      if (!lead.email) return { reason: 'invalid_address', detail: 'the lead has no email address' };
      const composed = composeEmail(touch, lead, context ?? {}, renderer, settings);
      return {
        recipient: lead.email,
        links: composed.links,
        async deliver() {
          const info = await transport.sendMail(composed.message);
          return { providerId: info.messageId };
        },
      };
    },
    permanentFailure(err) {
      const reason = permanentEmailFailure(err);
      return reason && { reason, detail: (err as Error).message };
    },
  };
}
