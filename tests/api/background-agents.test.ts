import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveAgent } from '../../db/agents.ts';
import { startTestStack, type TestStack, UNATTENDED_AGENT } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { openWs, type WsClient } from '../helpers/ws-client.ts';

describe('background agents (seed 002)', () => {
  let stack: TestStack;
  let token: string;
  const sockets: WsClient[] = [];
  const call = (path: string, init: RequestInit = {}, bearer = token) =>
    fetch(`${stack.url}${path}`, { ...init, headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' } });
  const start = (body: unknown) => call('/background-agents/start', { method: 'POST', body: JSON.stringify(body) });
  const panel = async () => (await call('/background-agents')).json();
  const inHistory = (id: string) =>
    waitFor(`background agent ${id} in the history`, async () => (await panel()).history.find((item: any) => item.instanceId === id), 60_000);

  beforeAll(async () => {
    stack = await startTestStack();
    // Each test file shares the database: a fresh owner sees only its own background agents.
    token = (await stack.tokenFor(`owner-${randomUUID()}`)).token;
    await saveAgent(stack.database.db, stack.tenantId, { ...UNATTENDED_AGENT, id: 'bg-slow', name: 'Slow background agent', model: 'demo-slow' });
    await saveAgent(stack.database.db, stack.tenantId, { ...UNATTENDED_AGENT, id: 'bg-fail', name: 'Failing background agent', model: 'demo-fail' });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await stack?.close();
  });

  it('starts one that shows as active at once, then in the history with its duration and summary', async () => {
    expect(await panel()).toEqual({ active: [], history: [] });
    const response = await start({ agentId: 'unattended', task: 'Summarise the open issues' });
    expect(response.status).toBe(201);
    const started = await response.json();
    expect(started).toMatchObject({ agentId: 'unattended', task: 'Summarise the open issues', active: true, error: null, endedAt: null });
    expect(['pending', 'queued', 'running']).toContain(started.status);
    const listed = await panel();
    expect(listed.active.map((item: any) => item.instanceId)).toContain(started.instanceId);

    const done = await inHistory(started.instanceId);
    expect(done).toMatchObject({
      status: 'completed',
      active: false,
      error: null,
      runs: [expect.objectContaining({ status: 'completed', summary: expect.any(String) })],
    });
    expect(Date.parse(done.endedAt)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));
    expect(done.durationMs).toBe(Date.parse(done.endedAt) - Date.parse(done.startedAt));
    // Expandable log entries per run: its timeline steps, from start to done.
    const logs = await (await call(`/background-agents/${started.instanceId}/logs`)).json();
    expect(logs.instanceId).toBe(started.instanceId);
    expect(logs.runs).toHaveLength(1);
    expect(logs.runs[0]).toMatchObject({ runId: done.runs[0].runId, status: 'completed' });
    expect(logs.runs[0].entries.map((entry: any) => entry.kind)).toContain('tool_call');
    expect(logs.runs[0].entries.at(-1)).toMatchObject({ kind: 'done' });
    // It is an execution like any other, marked background, without a plan gate.
    const execution = await (await call(`/v1/executions/${started.instanceId}`)).json();
    expect(execution).toMatchObject({ status: 'completed', planMode: 'never', prompt: 'Summarise the open issues' });
  });

  it('stops an active one; a stopped one cannot be stopped again', async () => {
    const started = await (await start({ agentId: 'bg-slow' })).json();
    expect(started.task).toBe('Carry out your standing instructions.');
    await waitFor('the slow agent to run', async () =>
      (await panel()).active.find((item: any) => item.instanceId === started.instanceId)?.status === 'running' ? true : undefined,
    );
    const stop = await call(`/background-agents/${started.instanceId}/stop`, { method: 'POST' });
    expect(stop.status).toBe(200);
    expect(await stop.json()).toEqual({ instanceId: started.instanceId, action: 'stop', accepted: true });
    expect(await inHistory(started.instanceId)).toMatchObject({ status: 'cancelled', active: false });
    const again = await call(`/background-agents/${started.instanceId}/stop`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('invalid_state');
  });

  it('shows the error message of a failed one', async () => {
    const started = await (await start({ agentId: 'bg-fail', task: 'Break' })).json();
    const failed = await inHistory(started.instanceId);
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringContaining('demo-fail') });
  });

  it("sends a snapshot, then each status change of the caller's background agents, over /background-agent-ws", async () => {
    const ws = await openWs(`${stack.url}/background-agent-ws`, { authorization: `Bearer ${token}` });
    sockets.push(ws);
    await ws.until((messages) => messages.length > 0);
    expect(ws.messages[0]).toMatchObject({ type: 'snapshot', active: expect.any(Array), history: expect.any(Array) });
    // An ordinary execution of the same owner is not a background agent: no update for it.
    const ordinary = await call('/v1/executions', {
      method: 'POST',
      body: JSON.stringify({ projectId: 'fg', prompt: 'foreground', planMode: 'never', agentId: 'unattended' }),
    });
    const ordinaryId = (await ordinary.json()).id;
    const started = await (await start({ agentId: 'unattended', task: 'Watch me' })).json();
    const updates = await ws.until(
      (messages) => messages.some((m) => m.type === 'update' && m.agent.instanceId === started.instanceId && m.agent.status === 'completed'),
      60_000,
    );
    const mine = updates.filter((m) => m.type === 'update').map((m) => m.agent);
    expect(mine.every((agent) => agent.instanceId === started.instanceId)).toBe(true);
    expect(mine.some((agent) => agent.status === 'running')).toBe(true);
    expect(mine.some((agent) => agent.instanceId === ordinaryId)).toBe(false);
  });

  it('refuses bad input, other owners and missing permissions like the /v1 routes', async () => {
    expect((await call('/background-agents', {}, 'nope')).status).toBe(401);
    await expect(openWs(`${stack.url}/background-agent-ws`, {})).rejects.toMatchObject({ status: 401 });
    const bad = async (body: unknown, status: number, code: string) => {
      const response = await start(body);
      expect(response.status).toBe(status);
      expect((await response.json()).error.code).toBe(code);
    };
    await bad({}, 400, 'invalid_request');
    await bad({ agentId: 'unattended', extra: 1 }, 400, 'invalid_request');
    await bad({ agentId: 'no-such-agent' }, 422, 'agent_unavailable');
    expect((await call('/background-agents?limit=0')).status).toBe(400);

    const ordinary = await stack.createExecution({ projectId: 'fg-2', prompt: 'not background', planMode: 'never' });
    // Another member of the tenant (the stack's admin could stop anyone's).
    const stranger = (await stack.tokenFor('stranger')).token;
    expect((await call(`/background-agents/${ordinary}/stop`, { method: 'POST' }, stack.token)).status).toBe(404);
    expect((await call(`/background-agents/${ordinary}/logs`, {}, stack.token)).status).toBe(404);
    const started = await (await start({ agentId: 'unattended' })).json();
    expect((await call(`/background-agents/${started.instanceId}/stop`, { method: 'POST' }, stranger)).status).toBe(404);
    const readOnly = (await stack.tokenFor(`owner-${randomUUID()}`, { permissions: ['execution:read'] })).token;
    expect((await call('/background-agents/start', { method: 'POST', body: JSON.stringify({ agentId: 'unattended' }) }, readOnly)).status).toBe(403);
    await inHistory(started.instanceId);
  });
});
