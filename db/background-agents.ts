import { and, asc, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from './client.ts';
import type { ExecutionRow, RunRow } from './executions.ts';
import { executions, runs } from './schema.ts';

/** An owner's background executions (not archived), newest first, each with its runs. */
export async function listBackgroundExecutions(db: Database, ownerId: string, limit: number): Promise<Array<{ execution: ExecutionRow; runs: RunRow[] }>> {
  const rows = await db
    .select()
    .from(executions)
    .where(and(eq(executions.ownerId, ownerId), eq(executions.background, true), isNull(executions.archivedAt)))
    .orderBy(desc(executions.createdAt), desc(executions.id))
    .limit(limit);
  if (!rows.length) return [];
  const allRuns = await db
    .select()
    .from(runs)
    .where(inArray(runs.executionId, rows.map((row) => row.id)))
    .orderBy(asc(runs.index));
  return rows.map((execution) => ({ execution, runs: allRuns.filter((run) => run.executionId === execution.id) }));
}
