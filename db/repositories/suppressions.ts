// Who must not be contacted: a lead on a channel (an unsubscribe, a bounce, a STOP), and an address
// its owner opted out (an SMS STOP is about the phone, whichever leads share it). Checked right
// before every provider call.
import type { Database } from '../pool';

export async function suppressChannel(db: Database, leadId: string, channel: string, reason: string, source: string): Promise<void> {
  await suppressChannelOfLeads(db, [leadId], channel, reason, source);
}

export async function suppressChannelOfLeads(db: Database, leadIds: string[], channel: string, reason: string, source: string): Promise<void> {
  await db.query(
    `INSERT INTO suppressions (lead_id, channel, reason, source) SELECT id, $2, $3, $4 FROM unnest($1::text[]) AS id
     ON CONFLICT (lead_id, channel) DO NOTHING`,
    [leadIds, channel, reason, source],
  );
}

export async function liftChannelOfLeads(db: Database, leadIds: string[], channel: string): Promise<void> {
  await db.query('DELETE FROM suppressions WHERE lead_id = ANY($1) AND channel = $2', [leadIds, channel]);
}

export async function suppressAddress(db: Database, channel: 'email' | 'sms', address: string, reason: string, source: string): Promise<void> {
  await db.query(
    `INSERT INTO suppressed_addresses (channel, address, reason, source) VALUES ($1, $2, $3, $4)
     ON CONFLICT (channel, address) DO NOTHING`,
    [channel, address, reason, source],
  );
}

export async function liftAddress(db: Database, channel: 'email' | 'sms', address: string): Promise<void> {
  await db.query('DELETE FROM suppressed_addresses WHERE channel = $1 AND address = $2', [channel, address]);
}

/** Whether the lead may not be contacted on the channel, or the address was opted out by its owner. */
export async function isSuppressed(db: Database, leadId: string, channel: string, address?: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM suppressions WHERE lead_id = $1 AND channel IN ($2, 'all')
     UNION ALL SELECT 1 FROM suppressed_addresses WHERE channel = $2 AND address = $3`,
    [leadId, channel, address ?? null],
  );
  return (rowCount ?? 0) > 0;
}
