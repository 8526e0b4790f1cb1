import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { findAgent } from '../../db/agents.ts';
import { type DatabaseHandle, openDatabase } from '../../db/client.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { createTestDatabase } from '../setup/test-database.ts';

const journal = JSON.parse(fs.readFileSync(new URL('../../db/migrations/meta/_journal.json', import.meta.url), 'utf8'));

async function rows<T>(handle: DatabaseHandle, query: string): Promise<T[]> {
  const result = await handle.db.execute(sql.raw(query));
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

async function appliedMigrations(handle: DatabaseHandle): Promise<number> {
  const [row] = await rows<{ n: number }>(handle, 'select count(*)::int as n from drizzle.__drizzle_migrations');
  return row!.n;
}

async function tables(handle: DatabaseHandle): Promise<string[]> {
  const result = await rows<{ table_name: string }>(
    handle,
    "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
  );
  return result.map((r) => r.table_name);
}

const expectedTables = [
  'agents',
  'api_tokens',
  'events',
  'executions',
  'messages',
  'progress_entries',
  'project_slot_waiters',
  'project_slots',
  'projects',
  'run_files',
  'run_messages',
  'runs',
  'tool_calls',
];

describe('migrations on Postgres (postgres-js)', () => {
  it('apply from empty, and applying them again is a no-op', async () => {
    const database = await createTestDatabase();
    const handle = await openDatabase({ databaseUrl: database.url });
    try {
      expect(await tables(handle)).toEqual([]);
      await migrateDatabase(handle);
      expect(await tables(handle)).toEqual(expectedTables);
      expect(await appliedMigrations(handle)).toBe(journal.entries.length);
      // The default agent is seeded: the demo model, every tool, run_command held for permission.
      expect(await findAgent(handle.db, 'default')).toMatchObject({
        provider: 'demo',
        model: 'demo',
        allowedTools: ['read_file', 'write_file', 'edit_file', 'list_files', 'search', 'run_command'],
        toolsNeedingApproval: ['run_command'],
        enabled: true,
      });
      await migrateDatabase(handle);
      expect(await appliedMigrations(handle)).toBe(journal.entries.length);
    } finally {
      await handle.close();
      await database.drop();
    }
  });

  it('take turns when two processes start at once', async () => {
    const database = await createTestDatabase();
    const [a, b] = await Promise.all([openDatabase({ databaseUrl: database.url }), openDatabase({ databaseUrl: database.url })]);
    try {
      await Promise.all([migrateDatabase(a), migrateDatabase(b)]);
      expect(await tables(a)).toEqual(expectedTables);
      expect(await appliedMigrations(a)).toBe(journal.entries.length);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await database.drop();
    }
  });
});

describe('migrations on the embedded PGlite database', () => {
  it('apply from empty, survive a restart, and re-apply as a no-op', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-runs-pglite-'));
    try {
      const first = await openDatabase({ dataDir });
      expect(await tables(first)).toEqual([]);
      await migrateDatabase(first);
      expect(await tables(first)).toEqual(expectedTables);
      await first.close();

      const second = await openDatabase({ dataDir });
      expect(await tables(second)).toEqual(expectedTables);
      await migrateDatabase(second);
      expect(await appliedMigrations(second)).toBe(journal.entries.length);
      await second.close();
      expect(fs.existsSync(path.join(dataDir, 'pglite'))).toBe(true);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
