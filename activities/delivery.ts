// deliverTouch: turns a send command into a message, exactly once, on any channel. The ledger row
// is claimed before the provider call and marked after, consent is checked against the
// consent facts right before the call (an unsubscribe that races a send wins), quiet hours are
// enforced again at send time, and permanent failures come back to the engine.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import type { Pool } from 'pg';
import { SEND_FAILURES, type Touch } from '../core/protocol';
import { CONSENT_CHANNELS, type Channel } from '../core/model/events';
import type { TemplateRenderer } from '../channels/templates';
import { isPermanentFailure, type DeliveryChannel, type PermanentFailure, type PreparedSend } from '../channels/channel';
import { emailChannel, type EmailSettings } from '../channels/email';
import { inAppChannel, type InAppSettings } from '../channels/inApp';
import { smsChannel, type SmsSettings } from '../channels/sms';
import { webhookChannel, type WebhookSettings } from '../channels/webhook';
import { claimSend, markSend } from '../db/repositories/sends';
import { mayContact } from '../db/repositories/consent';
import { findLeadIdentity } from '../db/repositories/leads';
import { countSend, type SendOutcome } from './metrics';
import type { DeliveryActivities, DeliveryResult } from './types';

/** Each channel is optional: a worker serves the send queues of the channels it is configured for. */
export interface DeliveryDependencies {
  pool: Pool;
  renderer: TemplateRenderer;
  /** Email is configured with an SMTP transport (pooled connections) and its settings. */
  email?: { transport: Transporter; settings: EmailSettings };
  sms?: SmsSettings;
  inApp?: InAppSettings;
  webhook?: WebhookSettings;
  /** The clock quiet hours and webhook signatures are read from; tests fix it. */
  now?: () => number;
}

export function createDeliveryActivities(deps: DeliveryDependencies): DeliveryActivities {
  const now = deps.now ?? Date.now;
  const channels: Partial<Record<Channel, DeliveryChannel>> = {
    ...(deps.email && { email: emailChannel(deps.email.transport, deps.email.settings, deps.renderer) }),
    ...(deps.sms && { sms: smsChannel(deps.sms, deps.renderer) }),
    ...(deps.inApp && { in_app: inAppChannel(deps.pool, deps.inApp, deps.renderer) }),
    ...(deps.webhook && { webhook: webhookChannel(deps.webhook, now) }),
  };
  const { pool } = deps;

  const delivery: DeliveryActivities = {
    async deliverTouch(request): Promise<DeliveryResult> {
      const { workflowId, touch } = request;
      const channel = channels[touch.channel];
      if (!channel) throw ApplicationFailure.nonRetryable(`the ${touch.channel} channel is not configured on this worker`, 'ChannelNotConfigured');

      const lead = await findLeadIdentity(pool, touch.leadId);
      let prepared: PreparedSend | PermanentFailure;
      try {
        // An erased lead has no address left to send to, and none is ever sent to again.
        prepared = lead ? channel.prepare({ touch, lead, context: request.context }, now()) : { reason: 'suppressed', detail: 'the lead was erased' };
      } catch (err) {
        throw ApplicationFailure.nonRetryable(`cannot compose ${touch.template ?? touch.webhook?.event}: ${(err as Error).message}`, 'TemplateError');
      }
      const sendable = isPermanentFailure(prepared) ? undefined : prepared;
      const claim = await claimSend(pool, workflowId, touch, { links: sendable?.links, recipient: sendable?.recipient });
      if (!claim.mayDeliver) return claim.status === 'sent' ? { status: 'duplicate' } : earlierFailure(claim.status, claim.error);

      if (needsConsent(touch.channel) && !(await mayContact(pool, touch.leadId, touch.channel, sendable?.recipient))) {
        await markSend(pool, touch.idempotencyKey, 'suppressed', { error: 'suppressed' });
        return { status: 'failed', reason: 'suppressed' };
      }
      if (isPermanentFailure(prepared)) return fail(pool, touch, prepared);
      const wait = (prepared.notBefore ?? 0) - now();
      if (wait > 0) {
        // The row stays claimed; the retry when the window opens checks consent again.
        throw ApplicationFailure.create({
          type: 'QuietHours',
          message: `outside the lead's ${touch.channel} window until ${new Date(prepared.notBefore!).toISOString()}`,
          nextRetryDelay: wait,
        });
      }

      try {
        const { providerId } = await prepared.deliver();
        await markSend(pool, touch.idempotencyKey, 'sent', { providerId });
        return { status: 'sent', ...(providerId ? { providerId } : {}) };
      } catch (err) {
        const permanent = channel.permanentFailure(err);
        // Transient: the row stays claimed and the activity retries with backoff.
        if (!permanent) throw err;
        return fail(pool, touch, permanent);
      }
    },
  };

  return {
    // Every attempt's outcome is counted and logged, whichever way it ends.
    async deliverTouch(request) {
      const { channel, idempotencyKey, template } = request.touch;
      const counted = (outcome: SendOutcome, detail?: string) => countSend(channel, outcome, { idempotencyKey, template, ...(detail ? { detail } : {}) });
      try {
        const result = await whileHeartbeating(() => delivery.deliverTouch(request));
        if (result.status === 'failed') counted(result.reason === 'suppressed' ? 'suppressed' : 'failed', result.detail ?? result.reason);
        else counted(result.status);
        return result;
      } catch (err) {
        const failure = err instanceof ApplicationFailure ? err : undefined;
        counted(failure?.type === 'QuietHours' ? 'deferred' : failure?.nonRetryable ? 'failed' : 'error', (err as Error).message);
        throw err;
      }
    },
  };
}

/**
 * A send that takes longer than a beat heartbeats while it runs, so Temporal can tell it from one
 * whose worker died (the lead workflow's send-heartbeat patch sets the timeout). A send that ends
 * within the first beat costs no heartbeat: Temporal Cloud counts each as an action.
 */
const HEARTBEAT_INTERVAL_MS = 3_000;

async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    // Called outside an activity (a benchmark's direct call): nobody to tell.
    return work();
  }
  const beat = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

/** Webhooks reach our own systems, not the lead: no consent applies to them. */
function needsConsent(channel: Channel): boolean {
  return (CONSENT_CHANNELS as readonly Channel[]).includes(channel);
}

/** A send that an earlier attempt already failed: the same answer again. */
function earlierFailure(status: string, error = ''): DeliveryResult {
  const reason = SEND_FAILURES.find((failure) => error.startsWith(failure)) ?? (status === 'suppressed' ? 'suppressed' : 'invalid_address');
  return { status: 'failed', reason, detail: error };
}

async function fail(pool: Pool, touch: Touch, { reason, detail }: PermanentFailure): Promise<DeliveryResult> {
  await markSend(pool, touch.idempotencyKey, 'failed', { error: `${reason}: ${detail}` });
  return { status: 'failed', reason, detail };
}
