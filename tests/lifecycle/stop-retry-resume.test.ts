import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionWorkflowId } from '../../workflows/definitions.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('stop, resume, retry, follow-ups', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.close());

  const create = (body: Record<string, unknown>) =>
    stack.createExecution({ projectId: `p-${Math.random()}`, prompt: 'Refactor the parser', planMode: 'never', ...body });

  it('stops a running demo-slow run with wait=true, after which that run writes nothing more, and resumes it', async () => {
    const id = await create({ model: { provider: 'demo', model: 'demo-slow' } });
    await waitFor('the first step to finish', async () =>
      (await stack.events(id)).some((e) => e.type === 'model.step_completed') ? true : undefined,
    );

    const started = Date.now();
    const cancel = await stack.post(`/v1/executions/${id}/cancel?wait=true`);
    expect(cancel.status).toBe(200);
    const stopped = await cancel.json();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stopped.status).toBe('cancelled');
    expect(stopped.runs[0]).toMatchObject({ status: 'cancelled', cancelReason: 'stopped' });

    const runId = stopped.runs[0].id;
    const countAtStop = (await stack.events(id)).filter((e) => e.runId === runId).length;
    await sleep(4000); // longer than a demo-slow step: a step still running would have written by now
    const runEvents = (await stack.events(id)).filter((e) => e.runId === runId);
    expect(runEvents).toHaveLength(countAtStop);
    // A step already under way may finish before the stop reaches it; nothing follows run.cancelled.
    expect(runEvents.at(-1).type).toBe('run.cancelled');
    expect(runEvents.map((e) => e.type)).toContain('run.stop_requested');
    expect(runEvents.filter((e) => e.type === 'model.step_completed').length).toBeLessThan(4);

    // The execution stays open and resumes as a new run of the same turn.
    expect((await stack.post(`/v1/executions/${id}/resume`)).status).toBe(200);
    const resumed = await stack.waitForExecution(id, 'the resumed run to start', (body) => body.runs.length === 2);
    expect(resumed.runs[1]).toMatchObject({ index: 2, trigger: 'resume', turnNumber: 1, attempt: 2 });
    expect((await stack.post(`/v1/executions/${id}/cancel`)).status).toBe(200);
    await stack.waitForStatus(id, 'cancelled');
  });

  it('retries a failed run (demo-fail) as attempt 2 of the same turn', async () => {
    const id = await create({ model: { provider: 'demo', model: 'demo-fail' } });
    const failed = await stack.waitForStatus(id, 'failed');
    expect(failed.runs[0].error).toEqual({ type: 'model_request', message: 'HTTP 400: demo-fail fails at its first step by design' });
    expect((await stack.post(`/v1/executions/${id}/retry`)).status).toBe(200);
    const retried = await stack.waitForExecution(id, 'the retry to fail too', (body) => body.runs.length === 2 && body.status === 'failed');
    expect(retried.runs[1]).toMatchObject({ index: 2, trigger: 'retry', turnNumber: 1, attempt: 2, status: 'failed' });
    expect(retried.runs[1].number).toBeGreaterThan(retried.runs[0].number);
    expect(retried.totals).toMatchObject({ runs: 2, turns: 1 });
  });

  it('runs a follow-up message as the next turn, with the conversation so far as context', async () => {
    const id = await create({ prompt: 'Write the changelog' });
    await stack.waitForStatus(id, 'completed');
    expect((await stack.post(`/v1/executions/${id}/messages`, { text: 'Now add the release date' })).status).toBe(200);
    const done = await stack.waitForExecution(id, 'the follow-up to complete', (body) => body.runs.length === 2 && body.status === 'completed');
    expect(done.runs[1]).toMatchObject({ trigger: 'message', turnNumber: 2, attempt: 1 });
    expect(done.runs[1].summary).toBe('Done: "Now add the release date". Context: 1 earlier turn(s), starting with "Write the changelog".');
    expect(done.totals).toMatchObject({ runs: 2, turns: 2, modelSteps: 9, toolCalls: 7 });
    const created = (await stack.events(id)).filter((e) => e.type === 'run.created');
    expect(created[1].payload.message).toBe('Now add the release date');
    expect(created[1].actor).toEqual({ kind: 'user', id: stack.ownerId });
  });

  it('refuses actions that do not fit the status with 409 naming it, and changes nothing', async () => {
    const slow = await create({ model: { provider: 'demo', model: 'demo-slow' } });
    await stack.waitForStatus(slow, 'running');
    for (const [path, body] of [
      [`/v1/executions/${slow}/retry`, undefined],
      [`/v1/executions/${slow}/resume`, undefined],
      [`/v1/executions/${slow}/messages`, { text: 'too early' }],
    ] as const) {
      const response = await stack.post(path, body);
      expect(response.status).toBe(409);
      expect((await response.json()).error.message).toMatch(/while the execution is running/);
    }
    await stack.post(`/v1/executions/${slow}/cancel?wait=true`);

    const done = await create({});
    await stack.waitForStatus(done, 'completed');
    const before = (await stack.events(done)).length;
    for (const path of ['cancel', 'retry', 'resume', 'plan/approve']) {
      const response = await stack.post(`/v1/executions/${done}/${path}`);
      expect(response.status, path).toBe(409);
      expect((await response.json()).error.code).toBe('invalid_state');
    }
    expect((await stack.events(done)).length).toBe(before);
  });

  it('validates action bodies: unknown fields, blank messages, bad JSON → 400', async () => {
    const id = await create({});
    await stack.waitForStatus(id, 'completed');
    expect((await stack.post(`/v1/executions/${id}/messages`, { text: '  ' })).status).toBe(400);
    expect((await stack.post(`/v1/executions/${id}/messages`, {})).status).toBe(400);
    expect((await stack.post(`/v1/executions/${id}/retry`, { force: true })).status).toBe(400);
    expect((await stack.api(`/v1/executions/${id}/messages`, { method: 'POST', body: '{' })).status).toBe(400);
    expect((await stack.post(`/v1/executions/${id}/cancel?wait=maybe`)).status).toBe(400);
  });

  it('records an idle execution terminated by an operator as cancelled, its runs as they were', async () => {
    const id = await create({});
    await stack.waitForStatus(id, 'completed');
    await stack.env.client.workflow.getHandle(executionWorkflowId(id)).terminate('operator test');
    const cancelled = await stack.waitForStatus(id, 'cancelled');
    expect(cancelled.runs[0].status).toBe('completed');
    const terminated = (await stack.events(id)).filter((e) => e.type === 'execution.terminated');
    expect(terminated).toHaveLength(1);
    expect(terminated[0]).toMatchObject({ actor: { kind: 'operator', id: 'temporal' }, payload: { temporalStatus: 'TERMINATED' } });
    // It can be resumed like any cancelled execution: the workflow reopens.
    const resumed = await stack.post(`/v1/executions/${id}/resume`);
    expect(resumed.status, await resumed.clone().text()).toBe(200);
    await stack.waitForExecution(id, 'the resumed run', (body) => body.runs.length === 2 && body.status === 'completed');
  });

  it('ends cleanly when an operator cancels the execution workflow: cancelled, audited, slot freed', async () => {
    const projectId = `operator-${Date.now()}`;
    const id = await create({ projectId, planMode: 'always' });
    await stack.waitForStatus(id, 'awaiting_approval');
    const waiting = await create({ projectId });
    await stack.waitForStatus(waiting, 'queued');

    await stack.env.client.workflow.getHandle(executionWorkflowId(id)).cancel();
    const cancelled = await stack.waitForStatus(id, 'cancelled');
    expect(cancelled.runs[0].status).toBe('cancelled');
    await waitFor('execution.cancelled to be recorded', async () =>
      (await stack.events(id)).some((e) => e.type === 'execution.cancelled') ? true : undefined,
    );
    await stack.env.client.workflow
      .getHandle(executionWorkflowId(id))
      .result()
      .catch(() => {});
    const description = await stack.env.client.workflow.getHandle(executionWorkflowId(id)).describe();
    expect(description.status.name).toBe('CANCELLED');
    await stack.waitForStatus(waiting, 'completed');
  });
});
