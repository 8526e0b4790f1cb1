import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import type { Database } from './client.ts';
import { executions, runs } from './schema.ts';

/**
 * One page of an owner's runs of an agent's executions, newest first (global run number descending),
 * with their execution's prompt and project. Archived executions are left out, as in the other lists.
 */
export function listAgentRuns(db: Database, filter: { ownerId: string; agentId: string; beforeNumber?: number; limit: number }) {
  return db
    .select({ run: runs, prompt: executions.prompt, projectId: executions.projectId })
    .from(runs)
    .innerJoin(executions, eq(executions.id, runs.executionId))
    .where(
      and(
        eq(executions.ownerId, filter.ownerId),
        eq(executions.agentId, filter.agentId),
        isNull(executions.archivedAt),
        filter.beforeNumber === undefined ? undefined : lt(runs.number, filter.beforeNumber),
      ),
    )
    .orderBy(desc(runs.number))
    .limit(filter.limit);
}
