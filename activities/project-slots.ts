import { activityInfo } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { projectSlotsWorkflowId, requestSlotSignal, type SlotRequest } from '../workflows/definitions.ts';

/** Activities for the per-project slots: workflows cannot signal-with-start. */
export function createSlotActivities(client: Client) {
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
  };
}
