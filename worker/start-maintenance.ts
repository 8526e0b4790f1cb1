import { type Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import { type MaintenanceInput, maintenanceWorkflowId } from '../workflows/maintenance.ts';

/**
 * Starts the task queue's maintenance workflow unless it is already running (every worker calls this).
 * `pageSize`: terminated workflows recorded per activity call (the activity's default when absent).
 */
export async function startMaintenance(client: Client, taskQueue: string, intervalMs = 30_000, pageSize?: number): Promise<void> {
  const input: MaintenanceInput = { taskQueue, intervalMs, ...(pageSize !== undefined && { pageSize }) };
  await client.workflow.start('maintenanceWorkflow', {
    taskQueue,
    workflowId: maintenanceWorkflowId(taskQueue),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [input],
    staticSummary: 'Records execution workflows terminated by an operator',
  });
}
