import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/** The server the tests create their databases on (trust auth on this machine). */
export const adminDatabaseUrl = (): string => process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const PREFIX = 'agent_runs_test_';

/** Creates an empty database with a unique name; returns its URL and a function that drops it. */
export async function createTestDatabase(adminUrl = adminDatabaseUrl()) {
  const name = `${PREFIX}${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await sql.end();
      }
    },
  };
}

/** Drops test databases left behind by runs that were killed more than a day ago. */
export async function dropStaleTestDatabases(adminUrl = adminDatabaseUrl()): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ datname: string }[]>`select datname from pg_database where datname like ${`${PREFIX}%`}`;
    const dayAgo = Date.now() - 24 * 3600_000;
    for (const { datname } of rows) {
      const createdAt = Number(datname.slice(PREFIX.length).split('_')[0]);
      if (createdAt < dayAgo) await sql.unsafe(`drop database if exists ${datname} with (force)`);
    }
  } finally {
    await sql.end();
  }
}
