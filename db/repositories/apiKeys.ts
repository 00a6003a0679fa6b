// API keys: random secrets shown once, stored as SHA-256 hashes, each with scopes. A key is looked
// up by its hash on every request (an indexed read), so revoking one takes effect at once.
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../pool';

export interface ApiKey<Scope extends string = string> {
  id: string;
  name: string;
  scopes: Scope[];
  /** The rep the key acts for: it sees and decides that rep's handoffs only. */
  rep?: string;
}

function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Creates a key and returns its secret, which is not stored and cannot be shown again. */
export async function createApiKey<Scope extends string>(db: Database, name: string, scopes: Scope[], rep?: string): Promise<{ key: ApiKey<Scope>; secret: string }> {
  const id = `key_${randomBytes(6).toString('hex')}`;
  const secret = `nk_${randomBytes(24).toString('base64url')}`;
  await db.query('INSERT INTO api_keys (id, name, key_hash, scopes, rep_id) VALUES ($1, $2, $3, $4, $5)', [id, name, hashKey(secret), scopes, rep ?? null]);
  return { key: { id, name, scopes, ...(rep ? { rep } : {}) }, secret };
}

/** Makes sure `secret` is an admin key (NURTURE_API_KEY at start): idempotent across restarts. */
export async function seedAdminKey(db: Database, secret: string): Promise<void> {
  await db.query(
    `INSERT INTO api_keys (id, name, key_hash, scopes) VALUES ($1, 'NURTURE_API_KEY', $2, '{admin}')
     ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL, scopes = '{admin}'`,
    [`key_seed_${hashKey(secret).slice(0, 12)}`, hashKey(secret)],
  );
}

/** The keys with these secrets, in their order, each unless revoked (or its rep deactivated): one read for many requests. */
export async function findApiKeys(db: Database, secrets: readonly string[]): Promise<Array<ApiKey | undefined>> {
  const hashes = secrets.map(hashKey);
  const found = await liveKeys(db, 'k.key_hash = ANY($1)', [...new Set(hashes)]);
  return hashes.map((hash) => found.get(hash));
}

/** The key with this secret, unless revoked (or its rep deactivated). */
export async function findApiKey(db: Database, secret: string): Promise<ApiKey | undefined> {
  const [key] = await findApiKeys(db, [secret]);
  return key;
}

/** The key with this id, unless revoked: a page session signed in with a key reads it afresh. */
export async function findApiKeyById(db: Database, id: string): Promise<ApiKey | undefined> {
  return (await liveKeys(db, 'k.id = $1', id)).get(id);
}

/** Live keys by hash and by id. */
async function liveKeys(db: Database, match: 'k.key_hash = ANY($1)' | 'k.id = $1', value: string | string[]): Promise<Map<string, ApiKey>> {
  const { rows } = await db.query<ApiKey & { rep: string | null; key_hash: string }>(
    `SELECT k.id, k.name, k.scopes, k.rep_id AS rep, k.key_hash FROM api_keys k
     WHERE ${match} AND k.revoked_at IS NULL AND (k.rep_id IS NULL OR EXISTS (SELECT 1 FROM reps r WHERE r.id = k.rep_id AND r.active))`,
    [value],
  );
  const keys = new Map<string, ApiKey>();
  for (const { rep, key_hash: hash, ...key } of rows) {
    const live = rep ? { ...key, rep } : key;
    keys.set(hash, live).set(key.id, live);
  }
  return keys;
}
