// `npm run worker`: the Temporal worker as its own process (production). Configured only by environment.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, requireDatabaseUrl } from '../common/config.ts';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { createWorker } from './create-worker.ts';
import { startMaintenance } from './start-maintenance.ts';

const config = loadConfig();
const databaseUrl = requireDatabaseUrl(config, 'worker');
const database = await openDatabase({ databaseUrl });
await migrateDatabase(database);
const address = config.temporalAddress ?? 'localhost:7233';
const connection = await NativeConnection.connect({ address });
const clientConnection = await Connection.connect({ address });
const client = new Client({ connection: clientConnection, namespace: config.temporalNamespace });
const worker = await createWorker({
  client,
  connection,
  namespace: config.temporalNamespace,
  taskQueue: config.taskQueue,
  db: database.db,
  dataDir: config.dataDir,
  pricingFile: config.pricingFile,
  templateRoot: config.workspaceTemplateRoot,
  maxCachedWorkflows: config.workerCachedWorkflows,
});
await startMaintenance(client, config.taskQueue);
console.log(`[worker] polling task queue "${config.taskQueue}" on ${config.temporalAddress ?? 'localhost:7233'}`);
// The Temporal runtime shuts the worker down on SIGINT/SIGTERM; run() resolves once it has drained.
await worker.run();
await clientConnection.close();
await connection.close();
await database.close();
