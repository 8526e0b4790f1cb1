import type { PlanMode, Status } from '../common/statuses.ts';
import type { Database } from '../db/client.ts';
import { type ExecutionRow, findExecution, type RunRow } from '../db/executions.ts';
import type { ExecutionInput, ModelChoice, RunTrigger } from '../workflows/definitions.ts';

/**
 * Reopening a closed execution (update-with-start) passes only its id: the workflow loads the rest
 * here, from Postgres, where the execution and its runs are recorded.
 */
export function createReopenActivities(db: Database) {
  return {
    async loadExecutionInput(reopen: { executionId: string; idleTimeoutMs: number }): Promise<ExecutionInput> {
      const found = await findExecution(db, reopen.executionId);
      if (!found) throw new Error(`execution ${reopen.executionId} is not recorded`);
      return reopenInput(found.execution, found.runs, reopen.idleTimeoutMs);
    },
  };
}

/** The input that reopens a closed execution workflow with what it had, from Postgres. */
function reopenInput(execution: ExecutionRow, runs: RunRow[], idleTimeoutMs: number): ExecutionInput {
  return {
    executionId: execution.id,
    tenantId: execution.tenantId,
    projectId: execution.projectId,
    ownerId: execution.ownerId,
    agentId: execution.agentId ?? undefined,
    prompt: execution.prompt,
    planMode: execution.planMode as PlanMode,
    model: execution.model as ModelChoice,
    budgets: (execution.budgets ?? undefined) as ExecutionInput['budgets'],
    ticket: execution.ticket ?? undefined,
    target: execution.targetType && execution.targetId ? { type: execution.targetType, id: execution.targetId } : undefined,
    background: execution.background,
    approvalTimeoutMs: execution.approvalTimeoutMs,
    idleTimeoutMs,
    createdEventId: '',
    createdAt: execution.createdAt.toISOString(),
    carried: {
      runs: runs.map((run) => ({
        runId: run.id,
        index: run.index,
        trigger: run.trigger as RunTrigger,
        turnNumber: run.turnNumber,
        attempt: run.attempt,
        status: run.status as Status,
        reason: run.cancelReason ?? undefined,
      })),
      requests: [],
      status: execution.status as Status,
    },
  };
}
