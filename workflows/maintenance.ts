import { continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';

const { recordTerminatedExecutions } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export const maintenanceWorkflowId = (taskQueue: string): string => `agent-runs-maintenance-${taskQueue}`;

/**
 * One per task queue (`agent-runs-maintenance-<taskQueue>`), started by the worker: records
 * execution workflows that an operator terminated (they run none of their own code at the end),
 * so their executions show `cancelled` with an `execution.terminated` event.
 */
export async function maintenanceWorkflow(input: { taskQueue: string; intervalMs: number; since?: string }): Promise<void> {
  let since = input.since;
  while (!workflowInfo().continueAsNewSuggested) {
    ({ next: since } = await recordTerminatedExecutions({ taskQueue: input.taskQueue, since }));
    await sleep(input.intervalMs);
  }
  await continueAsNew<typeof maintenanceWorkflow>({ ...input, since });
}
