import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';

/**
 * Row counts, for one owner, of the tables a request could write to; equal before and after means
 * nothing was written. Per owner because other test files write to the same database meanwhile.
 */
export async function rowCounts(db: Database, ownerId: string): Promise<Record<string, number>> {
  const queries = {
    executions: sql`select count(*)::int as n from executions where owner_id = ${ownerId}`,
    runs: sql`select count(*)::int as n from runs join executions e on e.id = runs.execution_id where e.owner_id = ${ownerId}`,
    events: sql`select count(*)::int as n from events where execution_id in (select id from executions where owner_id = ${ownerId})
      or payload->>'ownerId' = ${ownerId}`,
  };
  const counts: Record<string, number> = {};
  for (const [table, query] of Object.entries(queries)) {
    const result = await db.execute(query);
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ n: number }>;
    counts[table] = rows[0]!.n;
  }
  return counts;
}
