// deliverTouch: turns a send command into a message, exactly once. Consent is checked against the
// suppressions right before the provider call (an unsubscribe that races a send wins), the ledger
// row is claimed before the call and marked after, and permanent failures come back to the engine.
import { ApplicationFailure } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import type { Pool } from 'pg';
import { SEND_FAILURES } from '../core/engine';
import type { TemplateRenderer } from '../sequences/templates';
import { composeEmail, permanentEmailFailure, type EmailSettings } from './channels/email';
import { claimSend, isSuppressed, markSend } from './ledger';
import type { DeliveryActivities, DeliveryResult } from './types';

export interface DeliveryDependencies {
  pool: Pool;
  renderer: TemplateRenderer;
  /** Email is configured with an SMTP transport (pooled connections) and its settings. */
  email?: { transport: Transporter; settings: EmailSettings };
}

export function createDeliveryActivities(deps: DeliveryDependencies): DeliveryActivities {
  return {
    async deliverTouch({ workflowId, touch, lead, context }): Promise<DeliveryResult> {
      if (touch.channel !== 'email' || !deps.email) {
        throw ApplicationFailure.nonRetryable(`the ${touch.channel} channel is not configured on this worker`, 'ChannelNotConfigured');
      }
      if (await isSuppressed(deps.pool, touch.leadId, touch.channel)) {
        await claimSend(deps.pool, workflowId, touch);
        await markSend(deps.pool, touch.idempotencyKey, 'suppressed', { error: 'suppressed' });
        return { status: 'failed', reason: 'suppressed' };
      }
      if (!lead.email) return fail(deps.pool, workflowId, touch, 'invalid_address', 'the lead has no email address');

      let composed;
      try {
        composed = composeEmail(touch, lead, context ?? {}, deps.renderer, deps.email.settings);
      } catch (err) {
        throw ApplicationFailure.nonRetryable(`cannot compose ${touch.template}: ${(err as Error).message}`, 'TemplateError');
      }
      const claim = await claimSend(deps.pool, workflowId, touch, composed.links);
      if (!claim.mayDeliver) return claim.status === 'sent' ? { status: 'duplicate' } : earlierFailure(claim.status, claim.error);
      try {
        const info = await deps.email.transport.sendMail(composed.message);
        await markSend(deps.pool, touch.idempotencyKey, 'sent', { providerId: info.messageId });
        return { status: 'sent', providerId: info.messageId };
      } catch (err) {
        const permanent = permanentEmailFailure(err);
        // Transient: the row stays claimed and the activity retries with backoff.
        if (!permanent) throw err;
        await markSend(deps.pool, touch.idempotencyKey, 'failed', { error: `${permanent}: ${(err as Error).message}` });
        return { status: 'failed', reason: permanent, detail: (err as Error).message };
      }
    },
  };
}

/** A send that an earlier attempt already failed: the same answer again. */
function earlierFailure(status: string, error = ''): DeliveryResult {
  const reason = SEND_FAILURES.find((failure) => error.startsWith(failure)) ?? (status === 'suppressed' ? 'suppressed' : 'invalid_address');
  return { status: 'failed', reason, detail: error };
}

async function fail(pool: Pool, workflowId: string, touch: Parameters<DeliveryActivities['deliverTouch']>[0]['touch'], reason: 'invalid_address', detail: string): Promise<DeliveryResult> {
  await claimSend(pool, workflowId, touch);
  await markSend(pool, touch.idempotencyKey, 'failed', { error: `${reason}: ${detail}` });
  return { status: 'failed', reason, detail };
}
