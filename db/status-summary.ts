import { and, count, desc, eq, gt, inArray } from 'drizzle-orm';
import type { Database } from './client.ts';
import { executions, runs } from './schema.ts';

const ACTIVE = ['pending', 'queued', 'running', 'awaiting_approval', 'waiting_permission'];

/** How many of an owner's executions are in each active status. */
export async function countActiveByStatus(db: Database, ownerId: string): Promise<Record<string, number>> {
  const rows = await db
    .select({ status: executions.status, n: count() })
    .from(executions)
    .where(and(eq(executions.ownerId, ownerId), inArray(executions.status, ACTIVE)))
    .groupBy(executions.status);
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

/** An owner's executions whose latest run failed since `since`, newest first. */
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
    .where(and(eq(executions.ownerId, ownerId), eq(executions.status, 'failed'), gt(executions.updatedAt, since)))
    .orderBy(desc(executions.updatedAt))
    .limit(limit);
}
