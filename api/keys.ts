// API keys: random secrets shown once, stored as SHA-256 hashes, each with scopes. A key is looked
// up by its hash on every request (an indexed read), so revoking one takes effect at once.
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { z } from 'zod';

export const SCOPES = ['ingest', 'read', 'sales', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
export const scopeSchema = z.enum(SCOPES);

export interface ApiKey {
  id: string;
  name: string;
  scopes: Scope[];
}

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Creates a key and returns its secret, which is not stored and cannot be shown again. */
export async function createApiKey(pool: Pool, name: string, scopes: Scope[]): Promise<{ key: ApiKey; secret: string }> {
  const id = `key_${randomBytes(6).toString('hex')}`;
  const secret = `nk_${randomBytes(24).toString('base64url')}`;
  await pool.query('INSERT INTO api_keys (id, name, key_hash, scopes) VALUES ($1, $2, $3, $4)', [id, name, hashKey(secret), scopes]);
  return { key: { id, name, scopes }, secret };
}

/** Makes sure `secret` is an admin key (NURTURE_API_KEY at start): idempotent across restarts. */
export async function seedAdminKey(pool: Pool, secret: string): Promise<void> {
  await pool.query(
    `INSERT INTO api_keys (id, name, key_hash, scopes) VALUES ($1, 'NURTURE_API_KEY', $2, '{admin}')
     ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL, scopes = '{admin}'`,
    [`key_seed_${hashKey(secret).slice(0, 12)}`, hashKey(secret)],
  );
}

export async function findApiKey(pool: Pool, secret: string): Promise<ApiKey | undefined> {
  const { rows } = await pool.query<ApiKey>('SELECT id, name, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [hashKey(secret)]);
  return rows[0];
}

/** Admin may do everything; other scopes only what they name. */
export function allows(key: ApiKey, scope: Scope): boolean {
  return key.scopes.includes('admin') || key.scopes.includes(scope);
}
