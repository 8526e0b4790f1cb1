import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { createClosedExecutionActivities } from '../activities/closed-executions.ts';
import type { Database } from '../db/client.ts';
import { executionWorkflowId } from '../workflows/definitions.ts';
import { ApiError } from './errors.ts';

/**
 * Signals an execution's workflow. When that workflow has closed without recording it (an operator
 * terminated it, and the maintenance scan has not seen it yet), the closure is recorded now, so the
 * execution shows what happened (`cancelled`), and `closed` is answered instead of a 500.
 */
export async function signalExecution<Args extends unknown[]>(
  deps: { db: Database; client: Client },
  executionId: string,
  signal: SignalDefinition<Args>,
  ...args: Args
): Promise<'sent' | 'closed'> {
  const handle = deps.client.workflow.getHandle(executionWorkflowId(executionId));
  try {
    await handle.signal(signal, ...args);
    return 'sent';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError))
      throw new ApiError(503, 'temporal_unavailable', `could not reach the execution's workflow: ${(err as Error).message}`);
  }
  const closed = await handle.describe().catch(() => undefined);
  if (closed) await createClosedExecutionActivities(deps.db, deps.client).recordClosedExecution(closed.workflowId, closed.runId);
  return 'closed';
}
