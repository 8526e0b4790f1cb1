import { activityInfo } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { uuidFromName } from '../common/ids.ts';
import { isTerminal, type Status } from '../common/statuses.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { findExecution } from '../db/executions.ts';
import { projectSlotsWorkflowId, requestSlotSignal, type SlotRequest } from '../workflows/definitions.ts';

/** Activities for the per-project slots: workflows cannot signal-with-start or describe other workflows. */
export function createSlotActivities(db: Database, client: Client) {
  return {
    /** Asks the project's slots workflow for the slot, starting that workflow if it is not running. */
    async requestProjectSlot(input: { projectId: string; request: SlotRequest }): Promise<void> {
      await client.workflow.signalWithStart('projectSlotsWorkflow', {
        taskQueue: activityInfo().taskQueue,
        workflowId: projectSlotsWorkflowId(input.projectId),
        args: [{ projectId: input.projectId }],
        signal: requestSlotSignal,
        signalArgs: [input.request],
      });
    },

    /** Whether a workflow (its latest run) is still running: a closed slot holder frees its slot. */
    async isWorkflowOpen(workflowId: string): Promise<boolean> {
      try {
        const description = await client.workflow.getHandle(workflowId).describe();
        return description.status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },

    /**
     * Records that an execution workflow closed without saying so (terminated by an operator, say):
     * its unfinished run is cancelled (reason `operator`) and `execution.terminated` is appended.
     * Ids derive from the closed workflow run, so a retry or a second report writes nothing new.
     */
    async recordClosedExecution(workflowId: string): Promise<void> {
      const description = await client.workflow.getHandle(workflowId).describe().catch(() => undefined);
      const executionId = workflowId.replace(/^execution-/, '');
      const found = await findExecution(db, executionId);
      if (!found) return;
      const closedRun = description?.runId ?? 'unknown';
      const occurredAt = (description?.closeTime ?? new Date()).toISOString();
      const actor = { kind: 'operator' as const, id: 'temporal' };
      const run = found.runs.find((r) => r.id === found.execution.currentRunId);
      if (run && !isTerminal(run.status as Status)) {
        await appendEvent(db, {
          eventId: uuidFromName(`${closedRun}:run.cancelled`),
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
        eventId: uuidFromName(`${closedRun}:execution.terminated`),
        type: 'execution.terminated',
        executionId,
        actor,
        occurredAt,
        payload: { temporalStatus: description?.status.name ?? 'NOT_FOUND' },
      });
    },
  };
}
