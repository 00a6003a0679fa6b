// What every rendered message shares: the sender, and signed links (unsubscribe, fewer messages,
// the offer) that belong to one send, so a click or an unsubscribe is traced back to its touch.
import type { Touch } from '../core/protocol';
import type { Lead } from '../core/model/lead';
import type { RenderVariables } from './templates';
import { signToken, type LinkToken } from './tokens';

export interface MessageSettings {
  sender: { name: string; company: string; address: string };
  /** Base URL of the API's public tracking and unsubscribe routes. */
  publicUrl: string;
  signingSecret: string;
  /** Where each middle offer (pricing guide, checklist, …) is downloaded. */
  offers: Partial<Record<string, string>>;
}

/** A signed link token of `kind` for the touch. */
export function touchToken(touch: Touch, settings: MessageSettings, kind: LinkToken['kind'], extra: Partial<LinkToken> = {}): string {
  return signToken({ kind, send: touch.idempotencyKey, leadId: touch.leadId, channel: touch.channel, ...extra }, settings.signingSecret);
}

export function publicBase(settings: MessageSettings): string {
  return settings.publicUrl.replace(/\/$/, '');
}

/** The variables a touch's template is rendered with; throws when the touch's offer has no URL. */
export function renderVariables(touch: Touch, lead: Lead, context: Record<string, unknown>, settings: MessageSettings): RenderVariables {
  const base = publicBase(settings);
  const offerUrl = touch.offer ? settings.offers[touch.offer] : undefined;
  if (touch.offer && !offerUrl) throw new Error(`no URL is configured for the offer ${touch.offer}`);
  return {
    lead,
    context,
    links: {
      unsubscribe: `${base}/u/${touchToken(touch, settings, 'unsubscribe')}`,
      optDown: `${base}/u/${touchToken(touch, settings, 'optDown')}`,
      ...(offerUrl ? { offer: offerUrl } : {}),
    },
    sender: settings.sender,
  };
}
