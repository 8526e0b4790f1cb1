import { asc, eq } from 'drizzle-orm';
import type { Database } from './client.ts';
import { executions, runs } from './schema.ts';

export type ExecutionRow = typeof executions.$inferSelect;
export type RunRow = typeof runs.$inferSelect;

/** An execution and its runs (oldest first), or undefined when there is no such execution. */
export async function findExecution(
  db: Database,
  id: string,
): Promise<{ execution: ExecutionRow; runs: RunRow[] } | undefined> {
  const [execution] = await db.select().from(executions).where(eq(executions.id, id));
  if (!execution) return undefined;
  const executionRuns = await db.select().from(runs).where(eq(runs.executionId, id)).orderBy(asc(runs.index));
  return { execution, runs: executionRuns };
}
