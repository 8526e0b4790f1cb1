import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

/** A worker in a process of its own (tests/helpers/worker-process.ts), for tests that kill it with SIGKILL. */
export function spawnWorkerProcess(options: {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  dataDir: string;
  /** The pre-built workflow bundle, so a replacement starts in a second or two. */
  workflowBundlePath: string;
  env?: NodeJS.ProcessEnv;
}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/worker-process.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...options.env,
      DATABASE_URL: options.databaseUrl,
      TEMPORAL_ADDRESS: options.temporalAddress,
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      DATA_DIR: options.dataDir,
      WORKFLOW_BUNDLE: options.workflowBundlePath,
    },
    stdio: 'ignore',
  });
}
