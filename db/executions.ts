import { asc, eq, getTableColumns, inArray } from 'drizzle-orm';
import type { Database } from './client.ts';
import { executions, runs } from './schema.ts';

// Reads never carry the full-text document (up to 100,000 characters of the prompt, again).
const { searchVector: _searchVector, ...columns } = getTableColumns(executions);
/** The executions columns every read selects. */
export const executionColumns = columns;
export type ExecutionRow = Omit<typeof executions.$inferSelect, 'searchVector'>;
export type RunRow = typeof runs.$inferSelect;

/**
 * An execution and its runs (oldest first), or undefined when there is no such execution. Both are
 * read from one snapshot, so the execution's status always agrees with its runs.
 */
export async function findExecution(db: Database, id: string): Promise<{ execution: ExecutionRow; runs: RunRow[] } | undefined> {
  return db.transaction(
    async (tx) => {
      const [execution] = await tx.select(executionColumns).from(executions).where(eq(executions.id, id));
      if (!execution) return undefined;
      const executionRuns = await tx.select().from(runs).where(eq(runs.executionId, id)).orderBy(asc(runs.index));
      return { execution, runs: executionRuns };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** An execution's row alone (no runs): one query, for a decision's quick check. */
export async function findExecutionRow(db: Database, id: string): Promise<ExecutionRow | undefined> {
  const [execution] = await db.select(executionColumns).from(executions).where(eq(executions.id, id));
  return execution;
}

/** A run's index within its execution (its workflow id is execution-<executionId>-run-<index>), or undefined. */
export async function findRunIndex(db: Database, runId: string): Promise<number | undefined> {
  const [row] = await db.select({ index: runs.index }).from(runs).where(eq(runs.id, runId));
  return row?.index;
}

/** A run by its id or its global number, with what says who may see its execution. */
export async function findRun(db: Database, idOrNumber: { id: string } | { number: number }) {
  const [row] = await db
    .select({
      run: runs,
      execution: { id: executions.id, tenantId: executions.tenantId, ownerId: executions.ownerId, visibility: executions.visibility },
    })
    .from(runs)
    .innerJoin(executions, eq(executions.id, runs.executionId))
    .where('id' in idOrNumber ? eq(runs.id, idOrNumber.id) : eq(runs.number, idOrNumber.number));
  return row;
}

/** The global numbers of these runs, by run id. */
export async function runNumbers(db: Database, runIds: string[]): Promise<Map<string, number>> {
  if (!runIds.length) return new Map();
  const rows = await db.select({ id: runs.id, number: runs.number }).from(runs).where(inArray(runs.id, runIds));
  return new Map(rows.map((row) => [row.id, row.number]));
}
