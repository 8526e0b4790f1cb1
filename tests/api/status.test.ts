import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('GET /v1/status', () => {
  let stack: TestStack;
  const status = async () => (await stack.api('/v1/status')).json();

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.close());

  it('says "Agents idle" for an owner with nothing active', async () => {
    expect(await status()).toEqual({ running: 0, queued: 0, awaitingApproval: 0, waitingPermission: 0, label: 'Agents idle', recentFailures: [] });
  });

  it('counts running, queued and waiting executions, and lists a recent failure', async () => {
    const slow = { model: { provider: 'demo', model: 'demo-slow' }, planMode: 'never' };
    const first = await stack.createExecution({ projectId: 'status-a', prompt: 'first', ...slow });
    await stack.waitForStatus(first, 'running');
    const second = await stack.createExecution({ projectId: 'status-a', prompt: 'second', ...slow });
    await stack.waitForStatus(second, 'queued');
    const planned = await stack.createExecution({ projectId: 'status-b', prompt: 'plan me', planMode: 'always' });
    await stack.waitForStatus(planned, 'awaiting_approval');
    const failing = await stack.createExecution({
      projectId: 'status-c',
      prompt: 'fail',
      planMode: 'never',
      model: { provider: 'demo', model: 'demo-fail' },
    });
    await stack.waitForStatus(failing, 'failed');

    const busy = await status();
    expect(busy).toMatchObject({ running: 1, queued: 1, awaitingApproval: 1, waitingPermission: 0, label: 'Agents: 2 running, 1 queued' });
    expect(busy.recentFailures).toEqual([
      expect.objectContaining({
        executionId: failing,
        projectId: 'status-c',
        prompt: 'fail',
        error: expect.objectContaining({ type: 'model_request' }),
      }),
    ]);

    for (const id of [first, second, planned]) expect((await stack.post(`/v1/executions/${id}/cancel`)).status).toBe(200);
    const idle = await waitFor('every execution to end', async () => {
      const body = await status();
      return body.label === 'Agents idle' ? body : undefined;
    });
    expect(idle).toMatchObject({ running: 0, queued: 0, awaitingApproval: 0 });
  });
});
