import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { inject } from 'vitest';
import { type Activities, type ActivityDeps, createActivities } from '../../activities/index.ts';
import { type ApiServer, type ApiServerDeps, startApiServer } from '../../api/server.ts';
import type { Permission, Role } from '../../common/permissions.ts';
import { saveAgent } from '../../db/agents.ts';
import { type DatabaseHandle, openDatabase } from '../../db/client.ts';
import { tenants } from '../../db/schema.ts';
import { ensureTenant } from '../../db/tenants.ts';
import { issueUserToken } from '../../db/tokens.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { startMaintenance } from '../../worker/start-maintenance.ts';
import { UNATTENDED_AGENT } from './unattended-agent.ts';
import { waitFor } from './wait-for.ts';

export { UNATTENDED_AGENT };

/**
 * A test file's own stack on the run's shared Temporal server and database: a worker on a task
 * queue of its own, the API on a free port, a tenant of its own (with the unattended agent), and a
 * token for an admin of it. WORKSPACE_TEMPLATE_ROOT is the system's temporary folder (so the
 * tenant's templates live in `<tmp>/<tenant>`).
 */
export interface TestStack {
  url: string;
  /** The API server (its event feed, for counting stream listeners). */
  server: ApiServer;
  /** What a worker for this stack needs (its task queue, database, client, workflow bundle). */
  workerDeps: WorkerDeps;
  token: string;
  /** The stack's admin, who owns what the stack's token creates. */
  ownerId: string;
  tenantId: string;
  /** A token for another user of the stack's tenant (a member unless `role` says otherwise), and the user's id. */
  tokenFor(user: string, options?: { role?: Role; permissions?: Permission[] }): Promise<{ token: string; userId: string }>;
  taskQueue: string;
  database: DatabaseHandle;
  env: TestWorkflowEnvironment;
  /** fetch() against the API with the stack's token (unless the init sets its own headers). */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Where this stack's workspaces live. */
  dataDir: string;
  /** A new folder where the stack's tenant may keep workspace templates (under WORKSPACE_TEMPLATE_ROOT/<tenant>). */
  templateDir(prefix: string): string;
  /** Creates an execution (fails unless 201) and returns its id. Agent `unattended` unless the body names one. */
  createExecution(body: Record<string, unknown>): Promise<string>;
  /** POST with a JSON body (or none). */
  post(path: string, body?: unknown): Promise<Response>;
  /** An execution's audit events, oldest first (up to 500). */
  events(executionId: string): Promise<any[]>;
  /** Polls GET /v1/executions/:id until `done(body)` holds; returns the body. */
  waitForExecution(id: string, what: string, done: (body: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  /** Polls GET /v1/executions/:id until its status is one of `statuses`; returns the body. */
  waitForStatus(id: string, ...statuses: string[]): Promise<Record<string, any>>;
  close(): Promise<void>;
}

export async function startTestStack(
  options: {
    /** Replaces activities (fault injection); receives the standard ones. */
    activities?: (standard: Activities) => Activities;
    /** false: no worker in this process (the test runs its own, e.g. in a process it kills). */
    startWorker?: boolean;
    executionIdleTimeoutMs?: number;
    /** Another Temporal server than the run's shared one (a test that needs special server settings). */
    temporalAddress?: string;
    /** Scripted models instead of the demo provider. */
    models?: ActivityDeps['models'];
    pricingFile?: string;
    streamLimits?: ApiServerDeps['streamLimits'];
    decisionDeadlineMs?: number;
  } = {},
): Promise<TestStack> {
  const database = await openDatabase({ databaseUrl: inject('databaseUrl') });
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: options.temporalAddress ?? inject('temporalAddress') });
  const taskQueue = `test-${randomUUID()}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-runs-test-'));
  const tenantId = `test-${randomUUID()}`;
  await ensureTenant(database.db, tenantId);
  // Caps out of the way: a test file may keep dozens of executions waiting for a person (a test of caps sets its own).
  await database.db.update(tenants).set({ maxRunning: 10_000, maxRunningPerUser: 10_000 }).where(eq(tenants.id, tenantId));
  await saveAgent(database.db, tenantId, UNATTENDED_AGENT);
  const tenantTemplates = path.join(os.tmpdir(), tenantId);
  const deps: WorkerDeps = {
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    db: database.db,
    client: env.client,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    dataDir,
    models: options.models,
    pricingFile: options.pricingFile,
    templateRoot: os.tmpdir(),
  };
  const activities = options.activities?.(createActivities(deps));
  const worker = options.startWorker === false ? undefined : await createWorker({ ...deps, activities });
  const workerDone = worker?.run();
  // Maintenance scans every 2 s here (30 s in production) so terminated executions are recorded promptly.
  if (worker) await startMaintenance(env.client, taskQueue, 2000);

  const { token, user } = await issueUserToken(database.db, { tenantId, user: 'owner', role: 'admin' });
  const ownerId = user.id;
  const tokenFor: TestStack['tokenFor'] = async (name, { role, permissions } = {}) => {
    const issued = await issueUserToken(database.db, { tenantId, user: name, role, permissions });
    return { token: issued.token, userId: issued.user.id };
  };
  const server: ApiServer = await startApiServer(
    {
      database,
      client: env.client,
      connection: env.connection,
      taskQueue,
      executionIdleTimeoutMs: options.executionIdleTimeoutMs ?? 7 * 86_400_000,
      streamLimits: options.streamLimits,
      decisionDeadlineMs: options.decisionDeadlineMs,
      templatePlaces: { root: os.tmpdir(), dataDir },
    },
    { host: '127.0.0.1', port: 0 },
  );

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: init.headers ?? { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });

  const waitForExecution: TestStack['waitForExecution'] = (id, what, done, timeoutMs) =>
    waitFor(
      `execution ${id} ${what}`,
      async () => {
        const body = await (await api(`/v1/executions/${id}`)).json();
        return done(body) ? body : undefined;
      },
      timeoutMs,
    );

  return {
    url: server.url,
    server,
    workerDeps: deps,
    token,
    ownerId,
    tenantId,
    tokenFor,
    taskQueue,
    database,
    env,
    dataDir,
    templateDir: (prefix) => {
      fs.mkdirSync(tenantTemplates, { recursive: true });
      return fs.mkdtempSync(path.join(tenantTemplates, prefix));
    },
    api,
    async createExecution(body) {
      const response = await api('/v1/executions', { method: 'POST', body: JSON.stringify({ agentId: UNATTENDED_AGENT.id, ...body }) });
      if (response.status !== 201) throw new Error(`create failed: ${response.status} ${await response.text()}`);
      return (await response.json()).id;
    },
    post: (path, body) => api(path, { method: 'POST', ...(body !== undefined && { body: JSON.stringify(body) }) }),
    events: async (executionId) => (await (await api(`/v1/executions/${executionId}/events?limit=500`)).json()).items,
    waitForExecution,
    waitForStatus: (id, ...statuses) => waitForExecution(id, `to reach ${statuses.join('/')}`, (body) => statuses.includes(body.status)),
    async close() {
      await server.close();
      worker?.shutdown();
      await workerDone;
      await env.teardown();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(tenantTemplates, { recursive: true, force: true });
    },
  };
}

export type WorkerDeps = Parameters<typeof createWorker>[0];
