import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { type Activities, type ActivityDeps, createActivities } from '../activities/index.ts';
import type { Database } from '../db/client.ts';
import { databaseErrorInterceptors } from './activity-errors.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Database;
  /** Client for the activities that talk to Temporal. */
  client: Client;
  /** Where workspaces live (DATA_DIR). */
  dataDir: string;
  /** An operator's pricing file (PRICING_FILE). */
  pricingFile?: string;
  /** Where projects' templates may read this machine's folders (WORKSPACE_TEMPLATE_ROOT). */
  templateRoot?: string;
  /** Scripted models instead of the configured providers (tests). */
  models?: ActivityDeps['models'];
  /** A pre-built workflow bundle (tests build one per run); by default the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /**
   * Workflows kept in memory between their tasks (WORKER_CACHED_WORKFLOWS). Bounded so that thousands
   * of executions waiting for a person do not fill the worker: one evicted is replayed when it next has work.
   */
  maxCachedWorkflows?: number;
  /** Activities to register instead of the standard ones built from `db` (tests inject faults this way). */
  activities?: Activities;
}

/** A worker that runs every workflow and activity of agent-runs on one task queue. */
export function createWorker(options: WorkerOptions): Promise<Worker> {
  const workflows = options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities ?? createActivities(options),
    interceptors: { activity: [databaseErrorInterceptors] },
    // Heartbeats reach the server at least every second (not at 80% of the heartbeat timeout), so a
    // stop's cancellation reaches a running activity within about a second.
    maxHeartbeatThrottleInterval: '1 second',
    maxCachedWorkflows: options.maxCachedWorkflows ?? 500,
    ...workflows,
  });
}
