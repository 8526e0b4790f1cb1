import { and, asc, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Database } from './client.ts';
import { events, executions, runs } from './schema.ts';

export type ExecutionRow = typeof executions.$inferSelect;
export type RunRow = typeof runs.$inferSelect;

/**
 * An execution and its runs (oldest first), or undefined when there is no such execution. Both are
 * read from one snapshot, so the execution's status always agrees with its runs.
 */
export async function findExecution(
  db: Database,
  id: string,
): Promise<{ execution: ExecutionRow; runs: RunRow[] } | undefined> {
  return db.transaction(
    async (tx) => {
      const [execution] = await tx.select().from(executions).where(eq(executions.id, id));
      if (!execution) return undefined;
      const executionRuns = await tx.select().from(runs).where(eq(runs.executionId, id)).orderBy(asc(runs.index));
      return { execution, runs: executionRuns };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** A run by its id or its global number, with its execution's owner. */
export async function findRun(db: Database, idOrNumber: { id: string } | { number: number }) {
  const [row] = await db
    .select({ run: runs, ownerId: executions.ownerId })
    .from(runs)
    .innerJoin(executions, eq(executions.id, runs.executionId))
    .where('id' in idOrNumber ? eq(runs.id, idOrNumber.id) : eq(runs.number, idOrNumber.number));
  return row;
}

/** The text of a run's proposed plan of this version (plans live in plan.proposed events). */
export async function findPlanText(db: Database, runId: string, version: number): Promise<string | undefined> {
  const [row] = await db
    .select({ payload: events.payload })
    .from(events)
    .where(and(eq(events.runId, runId), eq(events.type, 'plan.proposed'), sql`${events.payload}->>'version' = ${String(version)}`))
    .orderBy(desc(events.cursor))
    .limit(1);
  return (row?.payload as { text?: string } | undefined)?.text;
}

export interface ExecutionFilter {
  ownerId: string;
  projectId?: string;
  statuses?: string[];
  /** Continue after this (createdAt, id) position, newest first. */
  after?: { createdAt: Date; id: string };
  limit: number;
}

/** One page of an owner's executions, newest first, in a stable order (created_at, then id). */
export async function listExecutions(db: Database, filter: ExecutionFilter): Promise<ExecutionRow[]> {
  const conditions = [eq(executions.ownerId, filter.ownerId)];
  if (filter.projectId) conditions.push(eq(executions.projectId, filter.projectId));
  if (filter.statuses?.length) conditions.push(inArray(executions.status, filter.statuses));
  if (filter.after) {
    const { createdAt, id } = filter.after;
    conditions.push(or(lt(executions.createdAt, createdAt), and(eq(executions.createdAt, createdAt), lt(executions.id, id)))!);
  }
  return db
    .select()
    .from(executions)
    .where(and(...conditions))
    .orderBy(desc(executions.createdAt), desc(executions.id))
    .limit(filter.limit);
}
