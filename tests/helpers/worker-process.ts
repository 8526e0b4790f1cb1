// A worker in a process of its own, for tests that kill it (kill -9): like worker/main.ts, but with the
// test run's pre-built workflow bundle (WORKFLOW_BUNDLE), so a replacement starts in a second or two.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, requireDatabaseUrl } from '../../common/config.ts';
import { openDatabase } from '../../db/client.ts';
import { createWorker } from '../../worker/create-worker.ts';

const config = loadConfig();
const database = await openDatabase({ databaseUrl: requireDatabaseUrl(config, 'worker') });
const address = config.temporalAddress ?? 'localhost:7233';
const connection = await NativeConnection.connect({ address });
const client = new Client({ connection: await Connection.connect({ address }), namespace: config.temporalNamespace });
const worker = await createWorker({
  client,
  connection,
  namespace: config.temporalNamespace,
  taskQueue: config.taskQueue,
  db: database.db,
  dataDir: config.dataDir,
  workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE! },
  maxCachedWorkflows: config.workerCachedWorkflows,
});
console.log('[worker-process] polling');
await worker.run();
