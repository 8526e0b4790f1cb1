import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionWorkflowId, runWorkflowId, sendMessageSignal } from '../../workflows/definitions.ts';
import { restartableWorker } from '../helpers/restartable-worker.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Requests that meet a workflow at its end: one that closes idle just as a follow-up comes, and one
// that an operator has terminated before anything recorded it. No maintenance workflow runs here,
// so nothing else records the terminated one first.
describe('requests at the end of a workflow', () => {
  let stack: TestStack;
  let startWorker: () => Promise<void>;
  let stopWorker: () => Promise<void>;

  beforeAll(async () => {
    stack = await startTestStack({ startWorker: false, executionIdleTimeoutMs: 1500 });
    ({ start: startWorker, stop: stopWorker } = restartableWorker(stack.workerDeps));
    await startWorker();
  });
  afterAll(async () => {
    await stopWorker();
    await stack?.close();
  });

  // With no worker, the idle timer fires on the server and the follow-up waits behind it: the next
  // worker gets both in one workflow task.
  it('a follow-up (an Update) that arrives with the idle-close timer, in the same workflow task, is run', async () => {
    const id = await stack.createExecution({ projectId: 'idle-race', prompt: 'first turn', planMode: 'never' });
    await stack.waitForStatus(id, 'completed');
    await stopWorker();
    await sleep(2500);
    const response = stack.post(`/v1/executions/${id}/messages`, { text: 'second turn' });
    await sleep(500);
    await startWorker();
    expect((await response).status).toBe(200);
    const done = await stack.waitForExecution(id, 'to run the follow-up', (body) => body.runs.length === 2 && body.status === 'completed', 60_000);
    expect(done.runs.map((r: any) => [r.turnNumber, r.status])).toEqual([
      [1, 'completed'],
      [2, 'completed'],
    ]);
  });

  it('a follow-up signal (a chat client) that arrives with the idle-close timer is run too', async () => {
    const id = await stack.createExecution({ projectId: 'idle-race-signal', prompt: 'first turn', planMode: 'never' });
    await stack.waitForStatus(id, 'completed');
    await stopWorker();
    await sleep(2500);
    await stack.env.client.workflow
      .getHandle(executionWorkflowId(id))
      .signal(sendMessageSignal, { text: 'second turn', by: { kind: 'integration', id: 'chat' } });
    await startWorker();
    const done = await stack.waitForExecution(id, 'to run the follow-up', (body) => body.runs.length === 2 && body.status === 'completed', 60_000);
    expect(done.runs[1]).toMatchObject({ turnNumber: 2, status: 'completed' });
  });

  it('cancel of an execution whose workflow an operator terminated answers with it cancelled, not a 500', async () => {
    const id = await stack.createExecution({
      projectId: 'terminated',
      prompt: 'slow work',
      planMode: 'never',
      model: { provider: 'demo', model: 'demo-slow' },
    });
    await stack.waitForStatus(id, 'running');
    await stack.env.client.workflow.getHandle(executionWorkflowId(id)).terminate('operator test');
    await waitFor('the termination', async () =>
      (await stack.env.client.workflow.getHandle(executionWorkflowId(id)).describe()).status.name === 'TERMINATED' ? true : undefined,
    );
    const response = await stack.post(`/v1/executions/${id}/cancel`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe('cancelled');
    const types = (await stack.events(id)).map((e) => e.type);
    expect(types.filter((t) => t === 'run.cancelled')).toHaveLength(1);
    expect(types).toContain('execution.terminated');
    // Decisions on it are refused as for any ended execution.
    expect((await stack.post(`/v1/executions/${id}/cancel`)).status).toBe(409);
  });

  it('approving the plan of an execution an operator terminated (its run went with it): 409, and the execution recorded cancelled', async () => {
    const id = await stack.createExecution({ projectId: 'terminated-plan', prompt: 'plan it', planMode: 'always' });
    await stack.waitForStatus(id, 'awaiting_approval');
    await stack.env.client.workflow.getHandle(executionWorkflowId(id)).terminate('operator test');
    // Temporal terminates the run with it (its parent-close policy), a moment later.
    await waitFor('the termination of both', async () => {
      const closed = await Promise.all(
        [executionWorkflowId(id), runWorkflowId(id, 1)].map(async (w) => (await stack.env.client.workflow.getHandle(w).describe()).status.name),
      );
      return closed.every((status) => status === 'TERMINATED') ? true : undefined;
    });
    const response = await stack.post(`/v1/executions/${id}/plan/approve`);
    expect(response.status).toBe(409);
    expect((await response.json()).error).toMatchObject({ code: 'invalid_state', message: expect.stringContaining('closed') });
    expect((await (await stack.api(`/v1/executions/${id}`)).json()).status).toBe('cancelled');
    expect((await stack.events(id)).map((e) => e.type)).toContain('execution.terminated');
  });
});
