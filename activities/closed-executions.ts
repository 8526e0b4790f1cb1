import type { Client } from '@temporalio/client';
import { uuidFromName } from '../common/ids.ts';
import { isTerminal, type Status } from '../common/statuses.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { findExecution } from '../db/executions.ts';

/** How far back each scan looks again, so a close that reached visibility late is not missed. */
const SCAN_OVERLAP_MS = 60_000;

/**
 * Execution workflows that ended without running their own code (terminated by an operator) are
 * recorded by these activities, called from the slots workflow and the maintenance workflow.
 */
export function createClosedExecutionActivities(db: Database, client: Client) {
  const activities = {
    /**
     * Records that an execution workflow closed without saying so (terminated by an operator, say):
     * its unfinished run is cancelled (reason `operator`) and `execution.terminated` is appended.
     * Ids derive from the closed workflow run, so a retry or a second report writes nothing new.
     */
    async recordClosedExecution(workflowId: string, runId: string): Promise<void> {
      const description = await client.workflow
        .getHandle(workflowId, runId)
        .describe()
        .catch(() => undefined);
      if (!description || description.status.name === 'RUNNING') return;
      const executionId = workflowId.replace(/^execution-/, '');
      const found = await findExecution(db, executionId);
      if (!found) return;
      const closedAt = description.closeTime ?? new Date();
      const occurredAt = closedAt.toISOString();
      const actor = { kind: 'operator' as const, id: 'temporal' };
      // Only a run that this workflow run had under way: the execution may have been reopened since.
      const run = found.runs.find((r) => r.id === found.execution.currentRunId);
      if (run && !isTerminal(run.status as Status) && run.startedAt <= closedAt) {
        await appendEvent(db, {
          eventId: uuidFromName(`${runId}:run.cancelled`),
          type: 'run.cancelled',
          executionId,
          runId: run.id,
          turnNumber: run.turnNumber,
          attempt: run.attempt,
          actor,
          occurredAt,
          payload: { reason: 'operator' },
        });
      }
      await appendEvent(db, {
        eventId: uuidFromName(`${runId}:execution.terminated`),
        type: 'execution.terminated',
        executionId,
        actor,
        occurredAt,
        payload: { temporalStatus: description.status.name },
      });
    },

    /**
     * Records every execution workflow on this task queue terminated since `since` (all, when
     * absent). Returns where the next scan should start.
     */
    async recordTerminatedExecutions(input: { taskQueue: string; since?: string }): Promise<{ next: string }> {
      const next = new Date(Date.now() - SCAN_OVERLAP_MS).toISOString();
      const query = [
        `WorkflowType="executionWorkflow"`,
        `TaskQueue="${input.taskQueue}"`,
        `ExecutionStatus="Terminated"`,
        ...(input.since ? [`CloseTime >= "${input.since}"`] : []),
      ].join(' AND ');
      for await (const workflow of client.workflow.list({ query })) {
        await activities.recordClosedExecution(workflow.workflowId, workflow.runId);
      }
      return { next };
    },
  };
  return activities;
}
