import { isTerminal, type Status } from '../common/statuses.ts';
import type { ExecutionRow, RunRow } from '../db/executions.ts';

/**
 * A background agent as seed 002's panel shows it: one execution started from the panel (its
 * instance id is the execution id), with status, start time, duration, task and error.
 */
export function backgroundAgentView(execution: ExecutionRow, runs: RunRow[]) {
  const status = execution.status as Status;
  const last = runs.at(-1);
  const endedAt = isTerminal(status) ? (last?.endedAt ?? execution.updatedAt) : null;
  const error = status === 'failed' ? ((last?.error as { message?: string } | null)?.message ?? null) : null;
  return {
    instanceId: execution.id,
    agentId: execution.agentId,
    status,
    active: !isTerminal(status),
    task: execution.prompt,
    startedAt: execution.createdAt.toISOString(),
    endedAt: endedAt?.toISOString() ?? null,
    durationMs: (endedAt ?? new Date()).getTime() - execution.createdAt.getTime(),
    error,
    runs: runs.map((run) => ({
      runId: run.id,
      number: run.number,
      status: run.status,
      startedAt: run.startedAt.toISOString(),
      endedAt: run.endedAt?.toISOString() ?? null,
      summary: run.summary,
    })),
  };
}

export type BackgroundAgentView = ReturnType<typeof backgroundAgentView>;

/** The panel's two lists. */
export function splitActive(items: BackgroundAgentView[]) {
  return { active: items.filter((item) => item.active), history: items.filter((item) => !item.active) };
}
