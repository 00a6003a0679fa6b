// The engine's PostgreSQL connections, and what a repository function takes as its database: the
// pool, or one client inside a transaction.
import { Client, Pool, type PoolClient } from 'pg';

export type Database = Pool | PoolClient;

/** A pool whose idle connections the server closes (a restart, a failover) are replaced on the next query. */
export function createPool(connectionString: string, onError: (err: Error) => void): Pool {
  const pool = new Pool({ connectionString });
  pool.on('error', onError);
  return pool;
}

export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection the server ends while the client is checked out (a restart, Ctrl-C reaching the
  // embedded PostgreSQL) is announced as an 'error' event, which would crash the process unheard;
  // the transaction's next query fails with it instead, and the client is not reused.
  let lost: Error | undefined;
  const onError = (err: Error) => void (lost = err);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => void (lost ??= rollbackErr));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}

/** Whether the database answers a query: readiness. */
export async function isReachable(db: Database): Promise<boolean> {
  return db.query('SELECT 1').then(
    () => true,
    () => false,
  );
}

/**
 * A connection of its own, with the pool's settings (so it never holds one of the pool's), that
 * LISTENs on `channel`; resolves once listening: nothing committed after that is missed.
 */
export async function listenOn(pool: Pool, channel: string): Promise<Client> {
  const client = new Client(pool.options);
  try {
    await client.connect();
    await client.query(`LISTEN ${channel}`);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}
