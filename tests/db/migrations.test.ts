import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { findAgent } from '../../db/agents.ts';
import { type DatabaseHandle, openDatabase } from '../../db/client.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { findCaller, hashToken } from '../../db/tokens.ts';
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
  'comments',
  'events',
  'execution_shares',
  'executions',
  'messages',
  'progress_entries',
  'project_members',
  'project_slot_waiters',
  'project_slots',
  'projects',
  'run_files',
  'run_messages',
  'runs',
  'tenants',
  'tool_calls',
  'users',
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
      expect(await findAgent(handle.db, 'default', 'default')).toMatchObject({
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

/** Applies the migrations before `tag` only, as a database from before it has them. */
async function migrateUntil(url: string, tag: string): Promise<void> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-runs-migrations-'));
  try {
    const entries = journal.entries.slice(
      0,
      journal.entries.findIndex((e: { tag: string }) => e.tag === tag),
    );
    fs.mkdirSync(path.join(folder, 'meta'));
    fs.writeFileSync(path.join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries }));
    for (const { tag: name } of entries)
      fs.copyFileSync(new URL(`../../db/migrations/${name}.sql`, import.meta.url), path.join(folder, `${name}.sql`));
    const connection = postgres(url, { max: 1, onnotice: () => {} });
    await migratePostgres(drizzlePostgres(connection), { migrationsFolder: folder });
    await connection.end();
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

describe('the tenants migration', () => {
  it('moves a database from before tenants into the default tenant: owners become users, with their tokens and projects', async () => {
    const database = await createTestDatabase();
    await migrateUntil(database.url, '0007_tenants');
    const handle = await openDatabase({ databaseUrl: database.url });
    try {
      const [aliceExecution, serviceExecution] = [randomUUID(), randomUUID()];
      const aliceToken = 'ar_alice-from-before';
      await rows(
        handle,
        `insert into api_tokens (name, owner_id, permissions, token_hash) values
          ('laptop', 'alice', '{execution:read,execution:create,agent:write}', '${hashToken(aliceToken)}'),
          ('AGENT_RUNS_TOKEN', 'default', '{execution:read,execution:create,execution:cancel,agent:write,project:write}', 'service-hash')`,
      );
      await rows(
        handle,
        `insert into executions (id, project_id, owner_id, prompt, plan_mode, status) values
          ('${aliceExecution}', 'web', 'alice', 'old work', 'never', 'completed'),
          ('${serviceExecution}', 'web', 'default', 'more', 'never', 'completed'),
          ('${randomUUID()}', 'api', 'bob', 'bob''s', 'never', 'completed')`,
      );
      await rows(
        handle,
        `insert into projects (id, workspace_template) values ('configured', '{"type":"git","url":"https://example.invalid/r.git"}')`,
      );
      await migrateDatabase(handle);

      const users = await rows(handle, 'select id, tenant_id, name, role from users order by id');
      expect(users).toEqual([
        { id: 'alice', tenant_id: 'default', name: 'alice', role: 'member' },
        { id: 'bob', tenant_id: 'default', name: 'bob', role: 'member' },
        { id: 'default', tenant_id: 'default', name: 'default', role: 'admin' },
      ]);
      expect(await rows(handle, 'select distinct tenant_id from executions')).toEqual([{ tenant_id: 'default' }]);
      expect(await rows(handle, 'select tenant_id, id from projects order by id')).toEqual([
        { tenant_id: 'default', id: 'api' },
        { tenant_id: 'default', id: 'configured' },
        { tenant_id: 'default', id: 'web' },
      ]);
      expect(await rows(handle, 'select project_id, user_id from project_members order by project_id, user_id')).toEqual([
        { project_id: 'api', user_id: 'bob' },
        { project_id: 'web', user_id: 'alice' },
        { project_id: 'web', user_id: 'default' },
      ]);
      expect(await findAgent(handle.db, 'default', 'default')).toMatchObject({ tenantId: 'default', provider: 'demo' });
      // Alice's token still works, as hers, within what a member may do (agents are the admins' now).
      expect(await findCaller(handle.db, aliceToken)).toEqual({
        tenantId: 'default',
        id: 'alice',
        kind: 'user',
        role: 'member',
        permissions: ['execution:read', 'execution:create'],
      });
    } finally {
      await handle.close();
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
