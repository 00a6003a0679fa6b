// The lead workflow's writes and reads in PostgreSQL: the catalog (with every published sequence
// version), and the decisions of the engine. Every write is idempotent, as activities retry.
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { Catalog, Command } from '../core/protocol';
import type { SequenceDefinition } from '../core/model/sequence';
import { countStageChange } from './metrics';
import type { LeadActivities, LeadSnapshot } from './types';

/** Makes every version of the catalog findable later, so leads pinned to it survive a deploy. */
export async function publishCatalog(pool: Pool, catalog: Catalog): Promise<void> {
  const versions = Object.entries(catalog.versions);
  await pool.query(
    `INSERT INTO sequence_versions (version, sequence_id, definition)
     SELECT version, definition->>'id', definition FROM jsonb_each($1::jsonb) AS v(version, definition)
     ON CONFLICT (version) DO NOTHING`,
    [JSON.stringify(Object.fromEntries(versions))],
  );
}

export function createLeadActivities({ pool, catalog }: { pool: Pool; catalog: Catalog }): LeadActivities {
  return {
    async loadCatalog({ versions }) {
      const missing = versions.filter((version) => !catalog.versions[version]);
      if (!missing.length) return catalog;
      const { rows } = await pool.query<{ version: string; definition: SequenceDefinition }>(
        'SELECT version, definition FROM sequence_versions WHERE version = ANY($1)',
        [missing],
      );
      return { ...catalog, versions: { ...catalog.versions, ...Object.fromEntries(rows.map((row) => [row.version, row.definition])) } };
    },

    async recordDecisions({ leadId, commands, snapshot }) {
      const changed = await inTransaction(pool, async (client) => {
        await upsertLeadSnapshot(client, leadId, snapshot);
        const stageChanges: StageChange[] = [];
        for (const command of commands) {
          if (command.type !== 'changeStage') await recordCommand(client, leadId, command);
          else if (await recordStageChange(client, leadId, command)) stageChanges.push(command);
        }
        return stageChanges;
      });
      // Counted once committed, and once each: a retry finds its rows written.
      for (const change of changed) countStageChange(change.from, change.to);
    },
  };
}

async function upsertLeadSnapshot(client: PoolClient, leadId: string, snapshot: LeadSnapshot): Promise<void> {
  await client.query(
    `INSERT INTO leads (id, stage, tier, total_score, sequence_id, holdout) VALUES ($1, $2, $3, $4, $5, COALESCE($6, false))
     ON CONFLICT (id) DO UPDATE SET stage = $2, tier = $3, total_score = $4, sequence_id = $5, holdout = COALESCE($6, leads.holdout), updated_at = now()`,
    [leadId, snapshot.stage, snapshot.tier, snapshot.totalScore, snapshot.sequenceId ?? null, snapshot.holdout ?? null],
  );
}

type StageChange = Extract<Command, { type: 'changeStage' }>;

/** True when the change is new. */
async function recordStageChange(client: PoolClient, leadId: string, change: StageChange): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO stage_changes (idempotency_key, lead_id, from_stage, to_stage, reason, changed_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING`,
    [`${leadId}/${change.at}/${change.to}`, leadId, change.from, change.to, change.reason, new Date(change.at)],
  );
  return Boolean(rowCount);
}

async function recordCommand(client: PoolClient, leadId: string, command: Command): Promise<void> {
  switch (command.type) {
    case 'consentChanged':
      if (command.granted) {
        await client.query('DELETE FROM suppressions WHERE lead_id = $1 AND channel = $2', [leadId, command.channel]);
      } else {
        await client.query(
          `INSERT INTO suppressions (lead_id, channel, reason, source) VALUES ($1, $2, $3, 'engine')
           ON CONFLICT (lead_id, channel) DO NOTHING`,
          [leadId, command.channel, command.reason],
        );
      }
      await recordActivity(client, leadId, command.type, command.at, { channel: command.channel, granted: command.granted, reason: command.reason });
      return;
    case 'enterSequence':
    case 'exitSequence':
      await recordActivity(client, leadId, command.type, command.at, { sequenceId: command.sequenceId, version: command.version, reason: command.reason });
      return;
    case 'touchDeferred':
      await recordActivity(client, leadId, command.type, command.at, {
        sequenceId: command.sequenceId,
        stepId: command.stepId,
        channel: command.channel,
        until: new Date(command.until).toISOString(),
        reasons: command.reasons,
      });
      return;
    case 'touchSkipped':
      await recordActivity(client, leadId, command.type, command.at, { sequenceId: command.sequenceId, stepId: command.stepId, channel: command.channel, reason: command.reason });
      return;
    default:
      // Stage changes have their own; sends, handoffs and wake-ups are carried out by the workflow itself.
      return;
  }
}

/**
 * One row of the audit trail. The key defaults to one derived from the row itself, so an activity
 * retry writes it once; pass one when the row's time is not part of its identity.
 */
export async function recordActivity(
  client: Pool | PoolClient,
  leadId: string,
  kind: string,
  at: number,
  detail: Record<string, unknown>,
  idempotencyKey = `${leadId}/${at}/${kind}/${createHash('sha256').update(JSON.stringify(detail)).digest('base64url').slice(0, 22)}`,
): Promise<void> {
  await client.query(
    `INSERT INTO lead_activity (idempotency_key, lead_id, kind, detail, at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [idempotencyKey, leadId, kind, detail, new Date(at)],
  );
}

export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}
