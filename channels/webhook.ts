// Webhooks to our own systems (CRM, Slack relays): a JSON POST signed with HMAC-SHA256 over
// `timestamp.body` in `Nurture-Signature: t=<unix seconds>,v1=<hex>`, and the check a receiver
// runs, which refuses stale timestamps so a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { DeliveryChannel, PermanentFailure } from './channel';

export const SIGNATURE_HEADER = 'Nurture-Signature';
/** The send's idempotency key: the same on every retry, so a receiver can drop repeats. */
const IDEMPOTENCY_HEADER = 'Nurture-Idempotency-Key';
const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

const webhookSettingsSchema = z.object({
  /** Named targets: a sequence's webhook step names one (`webhook('notify-crm', 'crm', 'lead.hot')`). */
  targets: z.record(
    z.string().min(1),
    z.object({
      url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
      secret: z.string().min(16, 'must be at least 16 characters'),
    }),
  ),
  timeoutMs: z.number().int().positive().default(10_000),
});

export type WebhookSettings = z.input<typeof webhookSettingsSchema>;

/** Throws with the path of the first bad field, e.g. `targets.crm.url: must be an http(s) URL`. */
function parseSettings(settings: WebhookSettings): z.output<typeof webhookSettingsSchema> {
  const result = webhookSettingsSchema.safeParse(settings);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new Error(`webhook settings: ${issue.path.join('.')}: ${issue.message}`);
}

export function signWebhook(body: string, secret: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(`${timestamp}.${body}`, secret)}`;
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * Whether `header` signs `body` (the raw bytes as received) with `secret`, within `toleranceSeconds`
 * of `now`. Several v1 values are allowed, so a sender can sign with an old and a new secret.
 */
export function verifyWebhookSignature(
  { header, body, secret }: { header: string | undefined; body: string; secret: string },
  { now = Date.now(), toleranceSeconds = DEFAULT_TOLERANCE_SECONDS }: { now?: number; toleranceSeconds?: number } = {},
): SignatureCheck {
  const parts = (header ?? '').split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  const signatures = parts.filter(([key, value]) => key === 'v1' && value).map(([, value]) => value!);
  if (!Number.isInteger(timestamp) || !signatures.length) return { ok: false, reason: 'malformed' };
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(hmac(`${timestamp}.${body}`, secret));
  const matches = signatures.some((signature) => {
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}

function hmac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** A receiver's answer that retrying cannot change. */
class WebhookRefused extends Error {
  constructor(readonly status: number, target: string) {
    super(`webhook ${target} answered HTTP ${status}`);
  }
}

/** Timeouts, rate limits and server errors pass; anything else but success is the receiver's final word. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function webhookChannel(settings: WebhookSettings, clock: () => number): DeliveryChannel {
  const { targets, timeoutMs } = parseSettings(settings);
  return {
    prepare({ touch, lead }) {
      const { target: name, event } = touch.webhook!;
      const target = targets[name];
      if (!target) throw new Error(`no webhook target ${JSON.stringify(name)} is configured`);
      const body = JSON.stringify({
        id: touch.idempotencyKey,
        event,
        occurredAt: new Date(touch.at).toISOString(),
        lead,
        sequence: { id: touch.sequenceId, version: touch.sequenceVersion, step: touch.stepId },
        scores: touch.why.scores,
      });
      return {
        async deliver() {
          // Signed per attempt: a retry an hour later still passes the receiver's freshness check.
          const signature = signWebhook(body, target.secret, Math.floor(clock() / 1000));
          const response = await fetch(target.url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signature, [IDEMPOTENCY_HEADER]: touch.idempotencyKey },
            body,
            redirect: 'manual',
            signal: AbortSignal.timeout(timeoutMs),
          });
          await response.body?.cancel();
          if (response.ok) return {};
          if (isRetryableStatus(response.status)) throw new Error(`webhook ${name} answered HTTP ${response.status}`);
          throw new WebhookRefused(response.status, name);
        },
      };
    },
    permanentFailure(err): PermanentFailure | undefined {
      return err instanceof WebhookRefused ? { reason: 'rejected', detail: err.message } : undefined;
    },
  };
}
