import type { Database } from '../db/client.ts';
import type { ExecutionRow, RunRow } from '../db/executions.ts';
import { findToolCall } from '../db/transcript.ts';

/**
 * An execution as the API shows it, from Postgres alone (the read model): its row and runs, and
 * what waits for a person: the plan awaiting approval, the tool call awaiting permission.
 */
export async function describeExecution(deps: { db: Database }, execution: ExecutionRow, runs: RunRow[]) {
  const pending =
    execution.status === 'waiting_permission' && execution.pendingToolCallId ? await findToolCall(deps.db, execution.pendingToolCallId) : undefined;
  const pendingToolCall = pending ? { callId: pending.id, tool: pending.tool, input: pending.input } : null;
  return { ...executionView(execution, runs), pendingToolCall };
}

export function executionView(execution: ExecutionRow, runs: RunRow[]) {
  const views = runs.map((run) => runView(run));
  const plan =
    execution.status === 'awaiting_approval' && execution.pendingPlan
      ? { version: execution.pendingPlan.version, text: execution.pendingPlan.text }
      : null;
  return {
    ...executionSummary(execution),
    plan,
    currentRunId: execution.currentRunId,
    currentRun: views.find((run) => run.id === execution.currentRunId) ?? null,
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
export function executionSummary(execution: ExecutionRow) {
  const status = execution.status;
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
    visibility: execution.visibility,
    status,
    queuePosition: status === 'queued' ? execution.queuePosition : null,
    createdAt: execution.createdAt.toISOString(),
    updatedAt: execution.updatedAt.toISOString(),
  };
}

export function runView(run: RunRow) {
  return {
    id: run.id,
    number: run.number,
    executionId: run.executionId,
    index: run.index,
    trigger: run.trigger,
    turnNumber: run.turnNumber,
    attempt: run.attempt,
    status: run.status,
    summary: run.summary,
    output: run.output,
    error: run.error,
    cancelReason: run.cancelReason,
    ...runsUsage([run]),
    startedAt: run.startedAt.toISOString(),
    endedAt: run.endedAt?.toISOString() ?? null,
  };
}
