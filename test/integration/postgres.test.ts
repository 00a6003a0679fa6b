import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { inTransaction } from '../../db/pool';

let pool: Pool;

beforeAll(() => {
  pool = new Pool({ connectionString: process.env.DATABASE_URL });
});

afterAll(async () => {
  await pool.end();
});

describe('PostgreSQL', () => {
  it('fails a transaction whose connection the server ends while it waits, without crashing the process', async () => {
    // As when Ctrl-C reaches the embedded PostgreSQL while the relay holds a transaction open for a signal.
    const held = new Pool({ connectionString: process.env.DATABASE_URL });
    try {
      const transaction = inTransaction(held, async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.query('SELECT 1');
      });
      await expect(transaction).rejects.toThrow(/terminat|Connection terminated|not queryable/i);
      // The broken connection is not handed out again.
      expect((await held.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await held.end();
    }
  });

  it('is a real PostgreSQL server with the core tables migrated', async () => {
    const { rows } = await pool.query<{ version: string }>('SELECT version()');
    expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);
    const tables = await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['events', 'handoffs', 'leads', 'schema_migrations', 'sends', 'stage_changes', 'consent_records']),
    );
  });

  it('reads back a lead row written through pg', async () => {
    const id = `smoke-${Date.now()}`;
    await pool.query('INSERT INTO leads (id, email, consent) VALUES ($1, $2, $3)', [id, 'ada@example.com', { email: true }]);
    const { rows } = await pool.query('SELECT id, email, consent, stage FROM leads WHERE id = $1', [id]);
    expect(rows).toEqual([{ id, email: 'ada@example.com', consent: { email: true }, stage: 'lead' }]);
  });

  it('refuses a second event with the same event id', async () => {
    const insert = "INSERT INTO events (event_id, lead_id, type, occurred_at) VALUES ('evt-dup', 'l1', 'page_view', now()) ON CONFLICT DO NOTHING";
    expect((await pool.query(insert)).rowCount).toBe(1);
    expect((await pool.query(insert)).rowCount).toBe(0);
  });
});

describe('embedded PostgreSQL', () => {
  it('starts with its data in a folder only its owner may enter, as a mktemp -d checkout is', async () => {
    const privateFolder = await fs.mkdtemp(path.join(os.tmpdir(), 'nurture-private-'));
    await fs.chmod(privateFolder, 0o700);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', require.resolve('../support/privatePostgres'), privateFolder]);
      expect(stdout.trim()).toBe('ok');
    } finally {
      await fs.rm(privateFolder, { recursive: true, force: true });
    }
  });
});
