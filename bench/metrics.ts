import { Runtime } from '@temporalio/worker';

/**
 * In a benchmark's worker process: the Temporal runtime serves Prometheus metrics on
 * BENCH_METRICS_PORT, so the benchmark can count the workflow tasks the worker polls.
 * Must run before the worker's connection is made.
 */
export function installMetrics(): void {
  const port = process.env.BENCH_METRICS_PORT;
  if (port) Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } } });
}

/** Workflow tasks the worker at `port` has polled so far (a Prometheus counter of the Temporal core SDK). */
export async function workflowTasksPolled(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('temporal_workflow_task_queue_poll_succeed')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
