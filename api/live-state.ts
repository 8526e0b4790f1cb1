import type { Client } from '@temporalio/client';
import { isTerminal, type Status } from '../common/statuses.ts';
import { type ExecutionState, executionWorkflowId, stateQuery } from '../workflows/definitions.ts';

const QUERY_DEADLINE_MS = 3000;

/**
 * The workflow's own view of an execution in progress (queue position, plan awaiting approval,
 * current run), asked only while the projection says it is active. Outcomes come from Postgres
 * alone: a workflow that already knows its run ended, before the event is written, is not asked.
 * Undefined also when it cannot answer quickly (no worker): callers then go by the projection.
 */
export async function readLiveState(client: Client, executionId: string, storedStatus: string): Promise<ExecutionState | undefined> {
  if (isTerminal(storedStatus as Status)) return undefined;
  try {
    const live = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      client.workflow.getHandle(executionWorkflowId(executionId)).query(stateQuery),
    );
    return isTerminal(live.status) ? undefined : live;
  } catch {
    return undefined;
  }
}
