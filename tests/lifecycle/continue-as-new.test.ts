import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../api/server.ts';
import { type DatabaseHandle, openDatabase } from '../../db/client.ts';
import { issueToken } from '../../db/tokens.ts';
import { freePort } from '../../scripts/free-port.ts';
import { type DevServer, startTemporalDevServer } from '../../scripts/temporal-server.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { executionWorkflowId } from '../../workflows/definitions.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Long executions continue as new when Temporal suggests it. A dev server of this file's own
// suggests it after 60 history events, so a few follow-ups are enough.
describe('continue-as-new', () => {
  let server: DevServer;
  let env: TestWorkflowEnvironment;
  let database: DatabaseHandle;
  let worker: Worker;
  let workerDone: Promise<void>;
  let api: ApiServer;
  let token: string;

  beforeAll(async () => {
    server = await startTemporalDevServer({ port: await freePort(), dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 } });
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address });
    database = await openDatabase({ databaseUrl: inject('databaseUrl') });
    const taskQueue = `can-${randomUUID()}`;
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      db: database.db,
      client: env.client,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    workerDone = worker.run();
    token = await issueToken(database.db, 'can', `owner-${randomUUID()}`);
    api = await startApiServer(
      { db: database.db, client: env.client, connection: env.connection, taskQueue, executionIdleTimeoutMs: 86_400_000 },
      { host: '127.0.0.1', port: 0 },
    );
  });
  afterAll(async () => {
    await api?.close();
    worker?.shutdown();
    await workerDone;
    await env?.teardown();
    await database?.close();
    await server?.stop();
  });

  it('carries its runs and turns across continue-as-new, and keeps taking follow-ups', async () => {
    const call = (path: string, body?: unknown) =>
      fetch(`${api.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}` },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      }).then((r) => r.json());
    const { id } = await call('/v1/executions', { projectId: `can-${Date.now()}`, prompt: 'turn 1', planMode: 'never' });
    const turns = 4;
    for (let turn = 1; turn <= turns; turn++) {
      await waitFor(`turn ${turn} to complete`, async () => {
        const body = await call(`/v1/executions/${id}`);
        return body.status === 'completed' && body.runs.length === turn ? body : undefined;
      });
      if (turn < turns) await call(`/v1/executions/${id}/messages`, { text: `turn ${turn + 1}` });
    }

    const handle = env.client.workflow.getHandle(executionWorkflowId(id));
    const runIds = new Set<string>();
    for await (const wf of env.client.workflow.list({ query: `WorkflowId="${executionWorkflowId(id)}"` })) runIds.add(wf.runId);
    expect(runIds.size).toBeGreaterThan(1); // it did continue as new

    const state = await handle.query('state');
    expect(state).toMatchObject({ status: 'completed', turns, runs: expect.any(Array) });
    expect((state as any).runs.map((r: any) => r.index)).toEqual([1, 2, 3, 4]);
    const events = (await call(`/v1/executions/${id}/events?limit=500`)).items as any[];
    expect(events.filter((e) => e.type === 'execution.created')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'run.completed')).toHaveLength(turns);
  });
});
