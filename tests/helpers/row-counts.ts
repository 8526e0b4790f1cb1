import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';

/** Row counts of the tables a request could write to; equal before and after means nothing was written. */
export async function rowCounts(db: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['executions', 'runs', 'events']) {
    const result = await db.execute(sql.raw(`select count(*)::int as n from ${table}`));
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ n: number }>;
    counts[table] = rows[0]!.n;
  }
  return counts;
}
