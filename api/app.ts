import type { Client, Connection } from '@temporalio/client';
import { Hono } from 'hono';
import type { Database } from '../db/client.ts';
import { requireToken } from './auth.ts';
import { handleError, notFound } from './errors.ts';
import { executionRoutes } from './routes/executions.ts';
import { healthRoutes } from './routes/health.ts';

export interface AppDeps {
  db: Database;
  client: Client;
  /** The Temporal client's connection, for the health check. */
  connection: Connection;
  taskQueue: string;
}

/** The HTTP API: `/healthz` open, everything under `/v1` behind a bearer token. */
export function createApp(deps: AppDeps) {
  const app = new Hono();
  app.onError(handleError);
  app.notFound(notFound);
  app.route('/healthz', healthRoutes(deps));
  app.use('/v1/*', requireToken(deps.db));
  app.route('/v1/executions', executionRoutes(deps));
  return app;
}
