import type { Client } from '@temporalio/client';
import { isTerminal, type Status } from '../common/statuses.ts';
import { type ExecutionState, executionWorkflowId, stateQuery } from '../workflows/definitions.ts';

const QUERY_DEADLINE_MS = 3000;

/**
 * The workflow's own view of an execution (queue position, plan awaiting approval, current run),
 * asked only while the projection says it is active. Undefined when it cannot answer quickly
 * (no worker, closed): callers then go by the Postgres projection.
 */
export async function readLiveState(client: Client, executionId: string, storedStatus: string): Promise<ExecutionState | undefined> {
  if (isTerminal(storedStatus as Status)) return undefined;
  try {
    return await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      client.workflow.getHandle(executionWorkflowId(executionId)).query(stateQuery),
    );
  } catch {
    return undefined;
  }
}
