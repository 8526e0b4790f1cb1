import type { ExecutionRow, RunRow } from '../db/executions.ts';

/** The JSON shape of an execution in API responses. */
export function executionView(execution: ExecutionRow, runs: RunRow[]) {
  return {
    id: execution.id,
    projectId: execution.projectId,
    ownerId: execution.ownerId,
    agentId: execution.agentId,
    prompt: execution.prompt,
    planMode: execution.planMode,
    status: execution.status,
    currentRunId: execution.currentRunId,
    createdAt: execution.createdAt.toISOString(),
    updatedAt: execution.updatedAt.toISOString(),
    runs: runs.map(runView),
  };
}

export function runView(run: RunRow) {
  return {
    id: run.id,
    number: run.number,
    index: run.index,
    trigger: run.trigger,
    turnNumber: run.turnNumber,
    attempt: run.attempt,
    status: run.status,
    summary: run.summary,
    error: run.error,
    startedAt: run.startedAt.toISOString(),
    endedAt: run.endedAt?.toISOString() ?? null,
  };
}
