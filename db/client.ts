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

/**
 * Runs `onNotify(payload)` for each NOTIFY on `channel`, and `onListening()` each time the listen
 * starts (again, after a lost connection: notifications sent meanwhile are gone, so callers re-read).
 * Resolves to a function that stops listening.
 */
export type ListenFn = (channel: string, onNotify: (payload: string) => void, onListening: () => void) => Promise<() => Promise<void>>;

export type DatabaseHandle =
  | { driver: 'postgres'; db: Database; url: string; listen: ListenFn; close(): Promise<void> }
  | { driver: 'pglite'; db: Database; client: PGlite; listen: ListenFn; close(): Promise<void> };

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
    const listen: ListenFn = async (channel, onNotify, onListening) => {
      const { unlisten } = await sql.listen(channel, onNotify, onListening);
      return unlisten;
    };
    return { driver: 'postgres', db, url, listen, close: () => sql.end({ timeout: 5 }) };
  }
  let dir: string | undefined;
  if (options.dataDir) {
    dir = path.join(options.dataDir, 'pglite');
    fs.mkdirSync(dir, { recursive: true });
  }
  const client = new PGlite(dir);
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  // One embedded session: its own NOTIFYs reach its listeners, and the listen is never lost.
  const listen: ListenFn = async (channel, onNotify, onListening) => {
    const unlisten = await client.listen(channel, onNotify);
    onListening();
    return unlisten;
  };
  return { driver: 'pglite', db, client, listen, close: () => client.close() };
}
