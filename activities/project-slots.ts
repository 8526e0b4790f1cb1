import { activityInfo } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { NewEvent } from '../common/events.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { projectSlotsWorkflowId, requestSlotSignal, type SlotRequest } from '../workflows/definitions.ts';

/** Activities for the per-project slots: workflows cannot signal-with-start. */
export function createSlotActivities(db: Database, client: Client) {
  return {
    /**
     * Asks the project's slots workflow for the slot, starting that workflow if it is not running;
     * first records `events` (the run's creation: one activity fewer per run), each idempotent by its id.
     */
    async requestProjectSlot(input: { projectId: string; request: SlotRequest; events?: NewEvent[] }): Promise<void> {
      for (const event of input.events ?? []) await appendEvent(db, event);
      await client.workflow.signalWithStart('projectSlotsWorkflow', {
        taskQueue: activityInfo().taskQueue,
        workflowId: projectSlotsWorkflowId(input.projectId),
        args: [{ projectId: input.projectId }],
        signal: requestSlotSignal,
        signalArgs: [input.request],
      });
    },
  };
}
