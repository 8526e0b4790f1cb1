import type { Client, Connection } from '@temporalio/client';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { TemplatePlaces } from '../activities/workspace/template-places.ts';
import type { Database } from '../db/client.ts';
import { requireToken } from './auth.ts';
import { consoleRoutes } from './console.ts';
import { ApiError, handleError, notFound } from './errors.ts';
import { agentRunRoutes } from './routes/agent-runs.ts';
import { agentRoutes } from './routes/agents.ts';
import { archiveRoutes } from './routes/archive.ts';
import { backgroundAgentWsRoutes } from './routes/background-agent-ws.ts';
import { backgroundAgentRoutes } from './routes/background-agents.ts';
import { commentRoutes } from './routes/comments.ts';
import { executionActionRoutes } from './routes/execution-actions.ts';
import { executionActivityRoutes } from './routes/execution-activity.ts';
import { executionRoutes } from './routes/executions.ts';
import { healthRoutes } from './routes/health.ts';
import { projectRoutes } from './routes/projects.ts';
import { runViewRoutes } from './routes/run-views.ts';
import { runRoutes } from './routes/runs.ts';
import { sharingRoutes } from './routes/sharing.ts';
import { statusRoutes } from './routes/status.ts';
import { streamRoutes } from './routes/streams.ts';
import { targetRoutes } from './routes/targets.ts';
import { tenantRoutes } from './routes/tenant.ts';
import { wsRoutes } from './routes/ws.ts';
import { refuseUnstorableUrl } from './storable-url.ts';
import type { EventFeed } from './streams/event-feed.ts';
import type { StreamLimits } from './streams/stream-limits.ts';
import { MAX_BODY_BYTES } from './validation.ts';

export interface AppDeps {
  db: Database;
  client: Client;
  /** The Temporal client's connection, for the health check. */
  connection: Connection;
  taskQueue: string;
  /** How long idle execution workflows stay open (EXECUTION_IDLE_TIMEOUT). */
  executionIdleTimeoutMs: number;
  /** This process's feed of committed events, which every stream reads. */
  feed: EventFeed;
  /** How long a decision waits for a worker's verdict before a 503 (default 10 s; tests use less). */
  decisionDeadlineMs?: number;
  /** Overrides of the stream limits (tests use small ones). */
  streamLimits?: Partial<StreamLimits>;
  /** Where projects' templates may read folders (WORKSPACE_TEMPLATE_ROOT, DATA_DIR); unset: nowhere. */
  templatePlaces?: TemplatePlaces;
  /** Where the console's built bundle is (default console/dist). */
  consoleDir?: string;
}

/** The HTTP API: `/healthz` open, everything under `/v1` behind a bearer token; the console at every other page path. */
export function createApp(deps: AppDeps) {
  const app = new Hono();
  app.onError(handleError);
  app.notFound(notFound);
  app.use('*', refuseUnstorableUrl);
  app.route('/healthz', healthRoutes(deps));
  app.use('/v1/*', requireToken(deps.db));
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `request body is over ${MAX_BODY_BYTES} bytes`);
    },
  });
  app.use('/v1/*', limitBody);
  app.use('/background-agents/*', limitBody);
  app.route('/v1/executions', executionRoutes(deps));
  app.route('/v1/executions', executionActionRoutes(deps));
  app.route('/v1/executions', archiveRoutes(deps));
  app.route('/v1/executions', executionActivityRoutes(deps));
  app.route('/v1/executions', sharingRoutes(deps));
  app.route('/v1/executions', commentRoutes(deps));
  app.route('/v1/runs', runRoutes(deps));
  app.route('/v1/runs', runViewRoutes(deps));
  app.route('/v1/agents', agentRoutes(deps));
  app.route('/v1/agents', agentRunRoutes(deps));
  app.route('/v1/projects', projectRoutes(deps));
  app.route('/v1/tenant', tenantRoutes(deps));
  app.route('/v1/status', statusRoutes(deps));
  app.route('/v1/targets', targetRoutes(deps));
  app.route('/v1', streamRoutes(deps));
  app.route('/v1/ws', wsRoutes(deps));
  // Seed 002's paths, outside /v1, behind the same tokens.
  app.route('/background-agents', backgroundAgentRoutes(deps));
  app.route('/background-agent-ws', backgroundAgentWsRoutes(deps));
  // Last: the console answers the page paths nothing above claims (index.html; the API stays under /v1).
  app.route('/', consoleRoutes(deps.consoleDir));
  return app;
}
