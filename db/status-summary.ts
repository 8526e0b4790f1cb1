import { and, count, desc, eq, gt, inArray, isNull } from 'drizzle-orm';
import { ACTIVE_STATUSES } from '../common/statuses.ts';
import type { Database } from './client.ts';
import { executions, runs } from './schema.ts';

/** How many of an owner's executions are in each active status (archived ones are out of the summary). */
export async function countActiveByStatus(db: Database, ownerId: string): Promise<Record<string, number>> {
  const rows = await db
    .select({ status: executions.status, n: count() })
    .from(executions)
    .where(and(eq(executions.ownerId, ownerId), inArray(executions.status, [...ACTIVE_STATUSES]), isNull(executions.archivedAt)))
    .groupBy(executions.status);
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

/**
 * An owner's unarchived executions whose latest run failed since `since`, newest first. By the run's
 * end, not the execution's updatedAt, which archiving and unarchiving also move.
 */
export function recentFailures(db: Database, ownerId: string, since: Date, limit: number) {
  return db
    .select({
      executionId: executions.id,
      projectId: executions.projectId,
      prompt: executions.prompt,
      runId: runs.id,
      runNumber: runs.number,
      error: runs.error,
      endedAt: runs.endedAt,
    })
    .from(executions)
    .innerJoin(runs, eq(runs.id, executions.currentRunId))
    .where(and(eq(executions.ownerId, ownerId), eq(executions.status, 'failed'), gt(runs.endedAt, since), isNull(executions.archivedAt)))
    .orderBy(desc(runs.endedAt))
    .limit(limit);
}
