import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/free-port.ts';
import { openSse } from '../helpers/sse-client.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createTestDatabase } from '../setup/test-database.ts';

// Production shape: `npm run api` and `npm run worker` as two processes, configured only by
// environment, sharing a Postgres database (migrated by whichever starts first) and a Temporal server.
const root = path.resolve(import.meta.dirname, '..', '..');

describe('npm run api + npm run worker', () => {
  const token = `token-${randomUUID()}`;
  const processes: Array<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let apiUrl: string;
  let secondApiUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const [port, secondPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${port}`;
    secondApiUrl = `http://127.0.0.1:${secondPort}`;
    const env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `separate-${randomUUID()}`,
      AGENT_RUNS_TOKEN: token,
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'separate-')),
    };
    // Two API processes: the second only streams, what the first and the worker write.
    for (const [script, extra] of [
      ['api', {}],
      ['worker', {}],
      ['api', { PORT: String(secondPort) }],
    ] as const) {
      const child = spawn('npm', ['run', script], { cwd: root, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      processes.push({ child, output: () => output, exited: new Promise((r) => child.once('exit', (code) => r(code))) });
    }
    for (const url of [apiUrl, secondApiUrl])
      await waitFor('the API to be healthy', async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined), 60_000);
  });

  afterAll(async () => {
    for (const { child } of processes) child.kill('SIGKILL');
    await database?.drop();
  });

  it('runs an execution to completed', async () => {
    const headers = { authorization: `Bearer ${token}` };
    const created = await fetch(`${apiUrl}/v1/executions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ projectId: 'separate', prompt: 'two processes', planMode: 'never' }),
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    const streamed = await openSse(`${secondApiUrl}/v1/executions/${id}/stream`, headers);
    // The default agent holds the demo's run_command for permission: the API decides, the worker runs it.
    const waiting = await waitFor('the command to wait for permission', async () => {
      const body = await (await fetch(`${apiUrl}/v1/executions/${id}`, { headers })).json();
      return body.status === 'waiting_permission' ? body : undefined;
    });
    expect((await fetch(`${apiUrl}/v1/executions/${id}/tools/${waiting.pendingToolCall.callId}/approve`, { method: 'POST', headers })).status).toBe(
      200,
    );
    const done = await waitFor('the execution to complete', async () => {
      const body = await (await fetch(`${apiUrl}/v1/executions/${id}`, { headers })).json();
      return body.status === 'completed' ? body : undefined;
    });
    expect(done.runs[0].summary).toContain('two processes');
    const events = (await (await fetch(`${apiUrl}/v1/executions/${id}/events?limit=500`, { headers })).json()).items;
    await streamed.until((received) => received.some((event) => event.type === 'run.completed'));
    expect(streamed.events).toEqual(events);
    streamed.close();
  });

  it('stops all three on SIGTERM', async () => {
    for (const { child } of processes) child.kill('SIGTERM');
    const codes = await Promise.all(processes.map((p) => p.exited));
    expect(codes, processes.map((p) => p.output()).join('\n')).toEqual([0, 0, 0]);
  });
});
