import type { Worker } from '@temporalio/worker';
import { createWorker } from '../../worker/create-worker.ts';
import type { WorkerDeps } from './test-stack.ts';

/** A worker in this process that a test stops and starts again (to have work wait for a worker). */
export function restartableWorker(deps: WorkerDeps) {
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  return {
    async start() {
      worker = await createWorker(deps);
      running = worker.run();
    },
    async stop() {
      worker?.shutdown();
      await running;
      worker = undefined;
    },
  };
}
