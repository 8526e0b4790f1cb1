import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { DatabaseHandle } from './client.ts';

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Applies the committed SQL migrations that are not applied yet; a no-op when all are. */
export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  if (handle.driver === 'pglite') {
    await migratePglite(handle.db as never, { migrationsFolder });
    return;
  }
  // The API and the worker both migrate at start-up; an advisory lock on one dedicated connection
  // makes concurrent start-ups take turns instead of applying the same migration twice.
  const connection = postgres(handle.url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzlePostgres(connection);
    await db.execute(sql`select pg_advisory_lock(hashtext('agent-runs:migrations'))`);
    await migratePostgres(db, { migrationsFolder });
    await db.execute(sql`select pg_advisory_unlock(hashtext('agent-runs:migrations'))`);
  } finally {
    await connection.end({ timeout: 5 });
  }
}
