import type { Client } from '@temporalio/client';
import { isTerminal, type Status } from '../common/statuses.ts';
import type { Database } from '../db/client.ts';
import { type ExecutionRow, findPlanText, type RunRow } from '../db/executions.ts';
import { findToolCall } from '../db/transcript.ts';
import type { ExecutionState } from '../workflows/definitions.ts';
import { readLiveState } from './live-state.ts';

/**
 * An execution as the API shows it: the Postgres projection, with the live fields (status, plan
 * awaiting approval, queue position) from the workflow's `state` query while it is active.
 */
export async function describeExecution(deps: { db: Database; client: Client }, execution: ExecutionRow, runs: RunRow[]) {
  const live = await readLiveState(deps.client, execution.id, execution.status);
  const status = live?.status ?? execution.status;
  const plan =
    status === 'awaiting_approval' && live?.plan && live.currentRun
      ? { version: live.plan.version, text: (await findPlanText(deps.db, live.currentRun.runId, live.plan.version)) ?? null }
      : null;
  const pending = status === 'waiting_permission' && live?.pendingToolCall ? await findToolCall(deps.db, live.pendingToolCall.callId) : undefined;
  const pendingToolCall = pending ? { callId: pending.id, tool: pending.tool, input: pending.input } : null;
  return { ...executionView(execution, runs, live, plan), pendingToolCall };
}

export function executionView(
  execution: ExecutionRow,
  runs: RunRow[],
  live?: ExecutionState,
  plan: { version: number; text: string | null } | null = null,
) {
  const currentRunId = live?.currentRun?.runId ?? execution.currentRunId;
  // The live state speaks for the current run only while Postgres has not recorded its outcome.
  const views = runs.map((run) => runView(run, run.id === currentRunId && !isTerminal(run.status as Status) ? live : undefined));
  return {
    ...executionSummary(execution, live),
    plan,
    currentRunId,
    currentRun: views.find((run) => run.id === currentRunId) ?? null,
    runs: views,
    totals: executionTotals(execution, runs),
    usageByTurn: [...new Set(runs.map((run) => run.turnNumber))].map((turnNumber) => ({
      turnNumber,
      ...runsUsage(runs.filter((run) => run.turnNumber === turnNumber)),
    })),
  };
}

/** Seed 001's execution summary: duration, turns, tool calls, tokens and cost over every run. */
function executionTotals(execution: ExecutionRow, runs: RunRow[]) {
  const ends = runs.map((run) => run.endedAt?.getTime() ?? Date.now());
  return {
    runs: runs.length,
    turns: Math.max(0, ...runs.map((run) => run.turnNumber)),
    durationMs: runs.length ? Math.max(...ends) - execution.createdAt.getTime() : 0,
    ...runsUsage(runs),
  };
}

/** Tokens and cost summed over runs. Cost is null while any model step had no price. */
export function runsUsage(runs: RunRow[]) {
  const sum = (pick: (run: RunRow) => number) => runs.reduce((total, run) => total + pick(run), 0);
  const unpriced = runs.some((run) => run.unpricedSteps > 0);
  return {
    modelSteps: sum((r) => r.modelSteps),
    toolCalls: sum((r) => r.toolCalls),
    usage: {
      inputTokens: sum((r) => r.inputTokens),
      outputTokens: sum((r) => r.outputTokens),
      cachedInputTokens: sum((r) => r.cachedInputTokens),
      reasoningTokens: sum((r) => r.reasoningTokens),
      costUsd: unpriced ? null : Math.round(sum((r) => r.costUsd) * 1e9) / 1e9,
    },
  };
}

/** An execution as lists show it: its own fields and status, without its runs (lists read no full-text document). */
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
    budgets: execution.budgets,
    ticket: execution.ticket,
    target: execution.targetType && execution.targetId ? { type: execution.targetType, id: execution.targetId } : null,
    background: execution.background,
    archived: execution.archivedAt !== null,
    archivedAt: execution.archivedAt?.toISOString() ?? null,
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
    output: run.output,
    error: run.error,
    cancelReason: run.cancelReason,
    ...runsUsage([run]),
    startedAt: run.startedAt.toISOString(),
    endedAt: run.endedAt?.toISOString() ?? null,
  };
}
