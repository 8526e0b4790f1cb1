// `npm run api`: the HTTP API as its own process (production). Configured only by environment.
import { Client, Connection } from '@temporalio/client';
import { loadConfig, requireDatabaseUrl } from '../common/config.ts';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { installServiceToken } from '../db/tokens.ts';
import { startApiServer } from './server.ts';

const config = loadConfig();
const databaseUrl = requireDatabaseUrl(config, 'api');
const database = await openDatabase({ databaseUrl });
await migrateDatabase(database);
if (config.apiToken) await installServiceToken(database.db, config.apiToken);
else console.warn('[api] AGENT_RUNS_TOKEN is not set: only tokens already in the database are accepted');

// Lazy: the API starts even while Temporal is down, and /healthz says so.
const connection = Connection.lazy({ address: config.temporalAddress ?? 'localhost:7233' });
const client = new Client({ connection, namespace: config.temporalNamespace });
const server = await startApiServer(
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
console.log(`[api] listening on ${server.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await server.close();
    await connection.close();
    await database.close();
    process.exit(0);
  });
}
