// In-app messages as a channel: the touch's template rendered and stored for the product to show,
// and what the product reports back (seen, dismissed), shaped as lead events.
import type { Pool } from 'pg';
import { z } from 'zod';
import { stampInAppMessage, storeInAppMessage } from '../db/repositories/inAppMessages';
import type { DeliveryChannel } from './channel';
import { renderVariables, type MessageSettings } from './links';
import type { TemplateRenderer } from './templates';

export type InAppSettings = MessageSettings;

/**
 * What the product reports back, shaped as a lead event so the caller can signal the lead workflow.
 * The event id is derived from the message, so reporting the same change twice is one event.
 */
export interface InAppEvent {
  eventId: string;
  leadId: string;
  type: 'in_app_seen' | 'in_app_dismissed';
  occurredAt: string;
  properties: { sendId: string; messageId: string };
}

export function inAppChannel(pool: Pool, settings: InAppSettings, renderer: TemplateRenderer): DeliveryChannel {
  return {
    prepare({ touch, lead, context }) {
      const { title, text } = renderer.renderText(touch.template!, renderVariables(touch, lead, context ?? {}, settings));
      return {
        async deliver() {
          const id = await storeInAppMessage(pool, { sendKey: touch.idempotencyKey, leadId: touch.leadId, ...(title === undefined ? {} : { title }), body: text });
          return { providerId: id };
        },
      };
    },
    // Nothing about the lead can make storing a row fail for good.
    permanentFailure: () => undefined,
  };
}

const messageIdSchema = z.uuid({ error: 'messageId must be a message id (a UUID)' });

/** Marks the message seen or dismissed (the first time counts); undefined when the lead has no such message. */
export async function markInAppMessage(pool: Pool, leadId: string, messageId: string, kind: 'seen' | 'dismissed'): Promise<InAppEvent | undefined> {
  // A malformed id names no message; checked here so PostgreSQL does not reject the cast.
  if (!messageIdSchema.safeParse(messageId).success) return undefined;
  const stamped = await stampInAppMessage(pool, leadId, messageId, kind);
  if (!stamped) return undefined;
  return {
    eventId: `in_app_${kind}:${messageId}`,
    leadId,
    type: kind === 'seen' ? 'in_app_seen' : 'in_app_dismissed',
    occurredAt: stamped.at.toISOString(),
    properties: { sendId: stamped.sendKey, messageId },
  };
}
