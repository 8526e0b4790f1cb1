import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

// When the run's work fails for good, the run and the execution end `failed` with the reason stored.
describe('a run whose work fails permanently', () => {
  let stack: TestStack;
  let attempts = 0;

  beforeAll(async () => {
    stack = await startTestStack({
      activities: (standard) => ({
        ...standard,
        async agentStep() {
          attempts++;
          throw ApplicationFailure.nonRetryable('the model refused the credentials', 'model_auth');
        },
      }),
    });
  });
  afterAll(() => stack?.close());

  it('ends failed, with the error type and message, after one attempt', async () => {
    const id = await stack.createExecution({ projectId: 'proj-fail', prompt: 'fail please', planMode: 'never' });
    const failed = await stack.waitForStatus(id, 'failed', 'completed');
    expect(failed.status).toBe('failed');
    expect(failed.runs[0]).toMatchObject({
      status: 'failed',
      summary: null,
      error: { type: 'model_auth', message: 'the model refused the credentials' },
    });
    expect(attempts).toBe(1);

    const { items } = await (await stack.api(`/v1/executions/${id}/events`)).json();
    expect(items.map((e: any) => e.type)).toEqual(['execution.created', 'run.created', 'run.started', 'run.failed']);
    expect(items[3].payload.error).toEqual({ type: 'model_auth', message: 'the model refused the credentials' });
  });
});

// A transient error (a network blip, a 429, a 5xx) is retried with backoff and the run goes on.
describe('a run whose step fails transiently', () => {
  let stack: TestStack;
  const attemptsByStep = new Map<number, number>();

  beforeAll(async () => {
    stack = await startTestStack({
      activities: (standard) => ({
        ...standard,
        async agentStep(call) {
          attemptsByStep.set(call.step, (attemptsByStep.get(call.step) ?? 0) + 1);
          if (call.step === 2 && attemptsByStep.get(2) === 1) throw new Error('503 Service Unavailable');
          return standard.agentStep(call);
        },
      }),
    });
  });
  afterAll(() => stack?.close());

  it('retries the step and completes, each step recorded once', async () => {
    const id = await stack.createExecution({ projectId: 'proj-transient', prompt: 'flaky network', planMode: 'never' });
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.status).toBe('completed');
    expect(attemptsByStep.get(2)).toBe(2);
    const { items } = await (await stack.api(`/v1/executions/${id}/events`)).json();
    expect(items.filter((e: any) => e.type === 'run.step').map((e: any) => e.payload.step)).toEqual([1, 2, 3]);
  });
});
