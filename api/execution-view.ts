import type { Client } from '@temporalio/client';
import type { Database } from '../db/client.ts';
import { type ExecutionRow, findPlanText, type RunRow } from '../db/executions.ts';
import type { ExecutionState } from '../workflows/definitions.ts';
import { readLiveState } from './live-state.ts';

/**
 * An execution as the API shows it: the Postgres projection, with the live fields (status, plan
 * awaiting approval, queue position) from the workflow's `state` query while it is active.
 */
export async function describeExecution(
  deps: { db: Database; client: Client },
  execution: ExecutionRow,
  runs: RunRow[],
) {
  const live = await readLiveState(deps.client, execution.id, execution.status);
  const status = live?.status ?? execution.status;
  const plan =
    status === 'awaiting_approval' && live?.plan && live.currentRun
      ? { version: live.plan.version, text: (await findPlanText(deps.db, live.currentRun.runId, live.plan.version)) ?? null }
      : null;
  return executionView(execution, runs, live, plan);
}

export function executionView(
  execution: ExecutionRow,
  runs: RunRow[],
  live?: ExecutionState,
  plan: { version: number; text: string | null } | null = null,
) {
  const currentRunId = live?.currentRun?.runId ?? execution.currentRunId;
  const views = runs.map((run) => runView(run, run.id === currentRunId ? live : undefined));
  return {
    ...executionSummary(execution, live),
    plan,
    currentRunId,
    currentRun: views.find((run) => run.id === currentRunId) ?? null,
    runs: views,
    totals: { runs: runs.length, turns: Math.max(0, ...runs.map((run) => run.turnNumber)) },
  };
}

/** An execution as lists show it: its own fields and status, without its runs. */
export function executionSummary(execution: ExecutionRow, live?: ExecutionState) {
  const status = live?.status ?? execution.status;
  return {
    id: execution.id,
    projectId: execution.projectId,
    ownerId: execution.ownerId,
    agentId: execution.agentId,
    prompt: execution.prompt,
    planMode: execution.planMode,
    model: execution.model,
    ticket: execution.ticket,
    status,
    queuePosition: status === 'queued' ? (live?.queuePosition ?? null) : null,
    createdAt: execution.createdAt.toISOString(),
    updatedAt: execution.updatedAt.toISOString(),
  };
}

export function runView(run: RunRow, live?: ExecutionState) {
  return {
    id: run.id,
    number: run.number,
    executionId: run.executionId,
    index: run.index,
    trigger: run.trigger,
    turnNumber: run.turnNumber,
    attempt: run.attempt,
    status: live?.status ?? run.status,
    summary: run.summary,
    error: run.error,
    cancelReason: run.cancelReason,
    startedAt: run.startedAt.toISOString(),
    endedAt: run.endedAt?.toISOString() ?? null,
  };
}
