// The baseline's worker, in a process of its own (so its memory is measured apart from agent-runs').
import { NativeConnection, Worker } from '@temporalio/worker';
import postgres from 'postgres';
import { installMetrics } from '../metrics.ts';
import { createBaselineActivities } from './activities.ts';

installMetrics();
const sql = postgres(process.env.DATABASE_URL!, { max: 10, onnotice: () => {} });
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  taskQueue: process.env.TEMPORAL_TASK_QUEUE!,
  workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE! },
  activities: createBaselineActivities(sql),
});
console.log('[baseline-worker] polling');
await worker.run();
await sql.end();
