import { type Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import { maintenanceWorkflowId } from '../workflows/maintenance.ts';

/** Starts the task queue's maintenance workflow unless it is already running (every worker calls this). */
export async function startMaintenance(client: Client, taskQueue: string, intervalMs = 30_000): Promise<void> {
  await client.workflow.start('maintenanceWorkflow', {
    taskQueue,
    workflowId: maintenanceWorkflowId(taskQueue),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ taskQueue, intervalMs }],
    staticSummary: 'Records execution workflows terminated by an operator',
  });
}
