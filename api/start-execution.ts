import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Budgets } from '../common/budgets.ts';
import { AgentExecutionStatusKey, executionSearchAttributes } from '../common/search-attributes.ts';
import type { PlanMode } from '../common/statuses.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import type { Caller } from '../db/tokens.ts';
import { type ExecutionInput, type ExecutionTarget, executionCreatedEvent, executionWorkflowId, type ModelChoice } from '../workflows/definitions.ts';
import type { executionWorkflow } from '../workflows/execution.ts';
import { ApiError } from './errors.ts';

export interface NewExecution {
  projectId: string;
  prompt: string;
  planMode: PlanMode;
  model: ModelChoice;
  approvalTimeoutMs: number;
  agentId: string;
  budgets?: Partial<Budgets>;
  ticket?: string;
  /** What the execution works on, for item badges. */
  target?: ExecutionTarget;
  /** Started from the background-agents API. */
  background?: boolean;
}

/**
 * Starts an execution. Temporal is the first to hold it: once the workflow has started, it is
 * accepted and the workflow itself records `execution.created`. The API writes the same event
 * (same id, so one row) only so that a read right after the 201 finds the execution.
 */
export async function startExecution(
  deps: { db: Database; client: Client; taskQueue: string; executionIdleTimeoutMs: number },
  caller: Caller,
  request: NewExecution,
): Promise<string> {
  const executionId = randomUUID();
  const ownerId = caller.id;
  const input: ExecutionInput = {
    ...request,
    executionId,
    tenantId: caller.tenantId,
    ownerId,
    idleTimeoutMs: deps.executionIdleTimeoutMs,
    createdEventId: randomUUID(),
    createdAt: new Date().toISOString(),
  };
  try {
    await deps.client.workflow.start<typeof executionWorkflow>('executionWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId: executionWorkflowId(executionId),
      args: [input],
      staticSummary: firstLine(request.prompt),
      typedSearchAttributes: [{ key: AgentExecutionStatusKey, value: 'pending' }, ...executionSearchAttributes({ ...request, ownerId })],
    });
  } catch (err) {
    throw new ApiError(503, 'temporal_unavailable', `could not start the execution workflow: ${errorChain(err)}`);
  }
  await appendEvent(deps.db, executionCreatedEvent(input)).catch((err) => {
    // Accepted all the same: the workflow's own recordEvent activity writes this row, with retries.
    console.error(`[api] execution ${executionId} started; its row will be written by the workflow:`, err);
  });
  return executionId;
}

/** "message: cause: cause's cause", so a 503 says what actually went wrong. */
function errorChain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as Error | undefined; e && parts.length < 4; e = e.cause as Error | undefined) parts.push(e.message);
  return parts.join(': ');
}

/** The prompt's first line, short enough for the Temporal UI's summary. */
const firstLine = (prompt: string) => {
  const line = prompt.trim().split('\n')[0]!.trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
};
