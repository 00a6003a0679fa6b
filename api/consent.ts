// Consent through the API's doors (a lead's profile, a CSV row, the consent route): recorded as
// facts before anything else, then told to the lead's workflow, so the engine deciding and the
// send-time check read the same truth.
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Lead } from '../core/model/lead';
import { recordConsent, type ConsentRecord } from '../db/repositories/consent';
import { consentChangedSignal, leadWorkflowId } from '../workflows/contract';

/** The consent a lead's profile gives, as facts of `source` at `at`. */
export function consentOfProfile(lead: Lead, source: string, evidence: Record<string, unknown>, at: number): ConsentRecord[] {
  const given = { email: lead.consent?.email, sms: lead.consent?.sms, in_app: lead.consent?.inApp };
  return (['email', 'sms', 'in_app'] as const).flatMap((channel) =>
    given[channel] === undefined ? [] : [{ leadId: lead.id, channel, granted: given[channel]!, source, evidence, at }],
  );
}

/** Records the facts, then signals each to its lead's running workflow (a lead without one reads them at send time). */
export async function takeConsent(pool: Pool, client: Client, facts: ConsentRecord[]): Promise<void> {
  await recordConsent(pool, facts);
  await Promise.all(
    facts.map(({ leadId, channel, granted, source, at }) =>
      client.workflow
        .getHandle(leadWorkflowId(leadId))
        .signal(consentChangedSignal, { channel, granted, source, at })
        .catch(() => undefined),
    ),
  );
}
