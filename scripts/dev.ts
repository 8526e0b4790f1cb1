// `npm run dev`: the whole stack in one process tree for a newcomer. Temporal dev server (unless
// TEMPORAL_ADDRESS is set), the database with its migrations, the worker and the API. Ctrl-C, SIGINT
// or SIGTERM stop everything within 10 seconds.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startApiServer } from '../api/server.ts';
import { loadConfig } from '../common/config.ts';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { generateToken, installServiceToken } from '../db/tokens.ts';
import { createWorker } from '../worker/create-worker.ts';
import { startMaintenance } from '../worker/start-maintenance.ts';
import { buildConsole } from './build-console.ts';
import { type DevServer, startTemporalDevServer } from './temporal-server.ts';

const SHUTDOWN_DEADLINE_MS = 9000;

const config = loadConfig({ HOST: '127.0.0.1', ...process.env });
fs.mkdirSync(config.dataDir, { recursive: true });
const log = (message: string) => console.log(`[dev] ${message}`);

// Stop signals are ours to handle: the worker drains before the Temporal server goes away.
Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
const cleanups: Array<() => Promise<unknown>> = [];
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
// If whatever started us (npm, a shell) dies without passing the signal on, stop rather than linger.
const parentPid = process.ppid;
setInterval(() => process.ppid !== parentPid && void shutdown('parent process exited'), 1000).unref();

try {
  let temporal: DevServer | undefined;
  if (!config.temporalAddress) {
    log(`starting the Temporal dev server on port ${config.temporalPort}`);
    temporal = await startTemporalDevServer({
      port: config.temporalPort,
      uiPort: config.temporalUiPort,
      dbFile: path.join(config.dataDir, 'temporal.db'),
      logFile: path.join(config.dataDir, 'temporal.log'),
      namespace: config.temporalNamespace,
    });
    cleanups.unshift(() => temporal!.stop());
  }
  const address = config.temporalAddress ?? temporal!.address;

  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  cleanups.unshift(() => database.close());
  await migrateDatabase(database);
  const token = config.apiToken ?? generateToken();
  await installServiceToken(database.db, token);

  const connection = await Connection.connect({ address });
  cleanups.unshift(() => connection.close());
  const client = new Client({ connection, namespace: config.temporalNamespace });

  const nativeConnection = await NativeConnection.connect({ address });
  cleanups.unshift(() => nativeConnection.close());
  log('bundling workflows and starting the worker');
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    db: database.db,
    client,
    dataDir: config.dataDir,
    pricingFile: config.pricingFile,
    templateRoot: config.workspaceTemplateRoot,
    maxCachedWorkflows: config.workerCachedWorkflows,
  });
  const workerDone = worker.run();
  await startMaintenance(client, config.taskQueue);
  cleanups.unshift(async () => {
    worker.shutdown();
    await workerDone;
  });

  log('building the console');
  await buildConsole({ dev: true });
  const api = await startApiServer(
    {
      database,
      client,
      connection,
      taskQueue: config.taskQueue,
      executionIdleTimeoutMs: config.executionIdleTimeoutMs,
      templatePlaces: { root: config.workspaceTemplateRoot, dataDir: config.dataDir },
    },
    config,
  );
  cleanups.unshift(() => api.close());

  const databaseLabel = config.databaseUrl ? 'Postgres (DATABASE_URL)' : `PGlite in ${path.join(config.dataDir, 'pglite')}`;
  console.log(
    [
      '',
      'agent-runs is running. Ctrl-C stops it.',
      `  Console      ${api.url}/   (sign in with the token printed below)`,
      `  API          ${api.url}`,
      `  API token    ${token}${config.apiToken ? '' : '   (generated; set AGENT_RUNS_TOKEN to choose your own)'}`,
      `  Temporal UI  ${temporal?.uiUrl ?? '(the server at TEMPORAL_ADDRESS)'}`,
      `  Temporal     ${address}, namespace ${config.temporalNamespace}`,
      `  Database     ${databaseLabel}`,
      '',
      'Try:',
      `  curl -s -H 'Authorization: Bearer ${token}' -H 'content-type: application/json' \\`,
      `    -d '{"projectId":"demo","prompt":"Say hello"}' ${api.url}/v1/executions`,
      '',
    ].join('\n'),
  );
} catch (err) {
  if (!stopping) console.error('[dev] could not start:', err instanceof Error ? err.message : err);
  await shutdown('startup failure', 1);
}

/**
 * Stops what has started, newest first: API, worker, connections, database, Temporal server. A
 * signal during start-up lands here too; process.exit ends whatever was still starting.
 */
async function shutdown(reason: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`stopping (${reason})`);
  const deadline = setTimeout(() => {
    console.error('[dev] shutdown took too long; exiting anyway');
    process.exit(1); // the Temporal server child is killed by its exit hook
  }, SHUTDOWN_DEADLINE_MS);
  for (const cleanup of cleanups.splice(0)) {
    await cleanup().catch((err) => console.error('[dev] while stopping:', err instanceof Error ? err.message : err));
  }
  clearTimeout(deadline);
  log('stopped');
  process.exit(exitCode);
}
