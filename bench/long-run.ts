import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LanguageModelV4CallOptions } from '@ai-sdk/provider';
import type { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startApiServer } from '../api/server.ts';
import { saveAgent } from '../db/agents.ts';
import type { DatabaseHandle } from '../db/client.ts';
import { findExecution } from '../db/executions.ts';
import { DEFAULT_TENANT_ID } from '../db/tenants.ts';
import { issueUserToken } from '../db/tokens.ts';
import { scriptedModel } from '../tests/helpers/scripted-model.ts';
import { createWorker } from '../worker/create-worker.ts';
import { executionWorkflowId, runWorkflowId } from '../workflows/definitions.ts';
import { countHistories } from './histories.ts';

/**
 * One run of `steps` model steps (each lists the files, the last one answers), on a worker and an API
 * of its own in this process (a scripted model: the demo model answers after a handful of steps).
 * Reports whether it completed, how long it took, and the longest history of one workflow run.
 */
export async function benchLongRun(options: {
  temporalAddress: string;
  client: Client;
  connection: Connection;
  database: DatabaseHandle;
  bundlePath: string;
  steps: number;
  dataDir: string;
}) {
  const { client, database, steps } = options;
  const taskQueue = `bench-long-${randomUUID()}`;
  const agent = {
    id: 'bench-long',
    name: 'Long benchmark agent',
    provider: 'demo',
    model: 'demo',
    systemPrompt: 'You list files for a long time.',
    allowedTools: ['list_files'],
    toolsNeedingApproval: [],
    enabled: true,
    outputSchema: null,
    maxSteps: steps + 10,
    maxCostUsd: null,
    maxDurationMs: 86_400_000,
  };
  await saveAgent(database.db, DEFAULT_TENANT_ID, agent);
  let calls = 0;
  // Decided from the prompt (the tool results so far), so a retried step decides the same.
  const script = (_call: number, options: LanguageModelV4CallOptions) => {
    calls++;
    const done = options.prompt.filter((m) => m.role === 'tool').length;
    return done + 1 >= steps ? { text: 'Listed them all.' } : { toolCalls: [{ name: 'list_files', input: {} }] };
  };
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    db: database.db,
    client,
    dataDir: path.join(options.dataDir, 'long'),
    workflowBundle: { codePath: options.bundlePath },
    // A model per step: the mock keeps every prompt it is given, which over thousands of steps is a lot.
    models: () => scriptedModel(script),
  });
  const running = worker.run();
  const server = await startApiServer(
    { database, client, connection: options.connection, taskQueue, executionIdleTimeoutMs: 3_600_000 },
    { host: '127.0.0.1', port: 0 },
  );
  try {
    const { token } = await issueUserToken(database.db, { tenantId: DEFAULT_TENANT_ID, user: 'bench-long' });
    const response = await fetch(`${server.url}/v1/executions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'List the files, again and again', agentId: agent.id, planMode: 'never', projectId: `long-${randomUUID()}` }),
    });
    if (response.status !== 201) return { summary: `not started: ${response.status} ${await response.text()}` };
    const { id } = (await response.json()) as { id: string };
    const t0 = Date.now();
    let status = 'pending';
    while (!['completed', 'failed', 'cancelled'].includes(status) && Date.now() - t0 < 3_600_000) {
      await sleep(1000);
      status = (await findExecution(database.db, id))?.execution.status ?? 'pending';
    }
    const seconds = (Date.now() - t0) / 1000;
    const counts = await countHistories(client, [executionWorkflowId(id), runWorkflowId(id, 1)]);
    return {
      summary: `${status} in ${seconds.toFixed(0)} s (${calls} model calls); ${counts.runs} workflow runs, the longest history ${counts.longestRun} events`,
    };
  } finally {
    await server.close();
    worker.shutdown();
    await running;
    await connection.close();
  }
}
