import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.ts';

/** The drizzle database, whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseHandle =
  | { driver: 'postgres'; db: Database; url: string; close(): Promise<void> }
  | { driver: 'pglite'; db: Database; client: PGlite; close(): Promise<void> };

export interface DatabaseOptions {
  /** Postgres URL; when absent the embedded PGlite database under `dataDir` is used. */
  databaseUrl?: string;
  /** Folder for the embedded database; `undefined` with no URL means an in-memory PGlite (tests). */
  dataDir?: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const url = options.databaseUrl;
    const sql = postgres(url, { max: 10, onnotice: () => {} });
    const db = drizzlePostgres(sql, { schema }) as unknown as Database;
    return { driver: 'postgres', db, url, close: () => sql.end({ timeout: 5 }) };
  }
  let dir: string | undefined;
  if (options.dataDir) {
    dir = path.join(options.dataDir, 'pglite');
    fs.mkdirSync(dir, { recursive: true });
  }
  const client = new PGlite(dir);
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  return { driver: 'pglite', db, client, close: () => client.close() };
}
