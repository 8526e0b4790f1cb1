import { asc, inArray } from 'drizzle-orm';
import type { Database } from './client.ts';
import { listExecutions } from './execution-list.ts';
import type { ExecutionRow, RunRow } from './executions.ts';
import { runs } from './schema.ts';

/** An owner's background executions (not archived), newest first, each with its runs. */
export async function listBackgroundExecutions(
  db: Database,
  ownerId: string,
  limit: number,
): Promise<Array<{ execution: ExecutionRow; runs: RunRow[] }>> {
  const rows = await listExecutions(db, { ownerId, background: true, archived: false, limit });
  if (!rows.length) return [];
  const allRuns = await db
    .select()
    .from(runs)
    .where(
      inArray(
        runs.executionId,
        rows.map((row) => row.id),
      ),
    )
    .orderBy(asc(runs.index));
  return rows.map(({ rank: _rank, ...execution }) => ({ execution, runs: allRuns.filter((run) => run.executionId === execution.id) }));
}
