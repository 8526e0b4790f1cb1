import { type DatabaseHandle, openDatabase } from '../../db/client.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { createTestDatabase } from '../setup/test-database.ts';

/** Both drivers, each on an empty migrated database of its own: Postgres through postgres-js, and PGlite in memory. */
export const DRIVERS = ['postgres', 'pglite'] as const;

export async function openFreshDatabase(driver: (typeof DRIVERS)[number]) {
  if (driver === 'pglite') {
    const handle = await openDatabase({});
    await migrateDatabase(handle);
    return { handle, dispose: () => handle.close() };
  }
  const database = await createTestDatabase();
  const handle: DatabaseHandle = await openDatabase({ databaseUrl: database.url });
  await migrateDatabase(handle);
  return {
    handle,
    dispose: async () => {
      await handle.close();
      await database.drop();
    },
  };
}
