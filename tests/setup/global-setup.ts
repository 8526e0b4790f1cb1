// Once per test run: one Temporal dev server, one fresh Postgres database (migrated), one workflow
// bundle, the console's bundle. Every test file connects to these; teardown stops the server and drops the database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../db/client.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { buildConsole } from '../../scripts/build-console.ts';
import { freePort } from '../../scripts/free-port.ts';
import { type DevServer, startTemporalDevServer } from '../../scripts/temporal-server.ts';
import { workflowsPath } from '../../worker/create-worker.ts';
import { adminDatabaseUrl, createTestDatabase, dropStaleTestDatabases } from './test-database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  let server: DevServer | undefined;
  if (!process.env.TEMPORAL_ADDRESS) server = await startTemporalDevServer({ port: await freePort() });
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? server!.address;

  await dropStaleTestDatabases();
  const database = await createTestDatabase(adminDatabaseUrl());
  const handle = await openDatabase({ databaseUrl: database.url });
  await migrateDatabase(handle);
  await handle.close();

  // The console's browser tests load the bundle the API serves.
  await buildConsole();
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-runs-bundle-'));
  const workflowBundlePath = path.join(bundleDir, 'workflows.js');
  fs.writeFileSync(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', temporalAddress);
  project.provide('databaseUrl', database.url);
  project.provide('workflowBundlePath', workflowBundlePath);

  return async () => {
    fs.rmSync(bundleDir, { recursive: true, force: true });
    await database.drop();
    await server?.stop();
  };
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
