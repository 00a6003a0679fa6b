// Starts embedded PostgreSQL with its data under the folder given as argument, queries it, stops
// it and prints `ok`: run as its own process, since Jest's module sandbox cannot load the ESM package.
import path from 'node:path';
import { Pool } from 'pg';
import { startEmbeddedPostgres } from '../../devstack/postgres';

async function main(folder: string): Promise<void> {
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(folder, 'pg', 'data'), persistent: false, onLog: () => undefined });
  try {
    const pool = new Pool({ connectionString: postgres.url });
    const { rows } = await pool.query<{ ok: number }>('SELECT 1 AS ok');
    await pool.end();
    process.stdout.write(rows[0]?.ok === 1 ? 'ok\n' : 'wrong answer\n');
  } finally {
    await postgres.stop();
  }
}

main(process.argv[2]!).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
});
