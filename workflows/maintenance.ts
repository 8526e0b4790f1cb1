import { ActivityFailure, continueAsNew, isCancellation, log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';

// One call records one page (at most `pageSize` workflows) and heartbeats after each one, so a
// retried attempt resumes where the last one stopped. A page still failing after its attempts is
// tried again at the next interval.
const { recordTerminatedExecutions } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export const maintenanceWorkflowId = (taskQueue: string): string => `agent-runs-maintenance-${taskQueue}`;

export interface MaintenanceInput {
  taskQueue: string;
  intervalMs: number;
  /** Where the next scan starts (close time); all terminated workflows when absent. */
  since?: string;
  /** A scan under way: its next page (carried across continue-as-new). */
  scan?: { next: string; pageToken: string };
  /** Workflows per page (the activity's default when absent). */
  pageSize?: number;
}

/**
 * One per task queue (`agent-runs-maintenance-<taskQueue>`), started by the worker: records
 * execution workflows that an operator terminated (they run none of their own code at the end),
 * so their executions show `cancelled` with an `execution.terminated` event. Every interval it scans
 * those closed since the last scan, page after page; `since` advances once a scan has read every page.
 */
export async function maintenanceWorkflow(input: MaintenanceInput): Promise<void> {
  const { taskQueue, intervalMs, pageSize } = input;
  let { since, scan } = input;
  while (!workflowInfo().continueAsNewSuggested) {
    try {
      const page = await recordTerminatedExecutions({ taskQueue, since, pageSize, ...scan });
      if (page.pageToken) {
        scan = { next: page.next, pageToken: page.pageToken };
        continue;
      }
      since = page.next;
      scan = undefined;
    } catch (err) {
      if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
      // Not fatal: the same page is read again at the next interval.
      log.warn('recording terminated executions failed; trying again at the next interval', { error: err.cause?.message ?? err.message });
    }
    await sleep(intervalMs);
  }
  await continueAsNew<typeof maintenanceWorkflow>({ ...input, since, scan });
}
