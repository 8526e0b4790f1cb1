import type { Connection } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { Database } from '../../db/client.ts';

const CHECK_TIMEOUT_MS = 2000;

type Check = { status: 'ok' } | { status: 'down'; error: string };

/** `GET /healthz` (no auth): 200 when the database and Temporal both answer, else 503 naming which is down. */
export function healthRoutes(deps: { db: Database; connection: Connection }) {
  const checks = {
    database: () => deps.db.execute(sql`select 1`),
    temporal: () => deps.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => deps.connection.healthService.check({})),
  };
  return new Hono().get('/', async (c) => {
    const [database, temporal] = await Promise.all([runCheck(checks.database), runCheck(checks.temporal)]);
    const healthy = database.status === 'ok' && temporal.status === 'ok';
    return c.json({ status: healthy ? 'ok' : 'unavailable', checks: { database, temporal } }, healthy ? 200 : 503);
  });
}

async function runCheck(check: () => Promise<unknown>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'ok' };
  } catch (err) {
    return { status: 'down', error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
