import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/** How the next finishRun behaves: as usual, hanging until cancelled, refused for good, or slow. */
type Mode = 'normal' | 'hang' | 'reject' | 'slow';

const TERMINAL = ['run.completed', 'run.failed', 'run.cancelled'];

// The end of a run: stops that land while it is being finished, bookkeeping that hangs or fails for
// good. Whatever happens, each run ends with exactly one terminal event and frees its project's slot.
describe('how runs end', () => {
  let stack: TestStack;
  let mode: Mode = 'normal';
  let finishing: () => void = () => {};
  const finishStarted = () => new Promise<void>((resolve) => (finishing = resolve));

  beforeAll(async () => {
    stack = await startTestStack({
      activities: (standard) => ({
        ...standard,
        async finishRun(ending) {
          finishing();
          const context = Context.current();
          if (mode === 'hang') {
            // Stuck bookkeeping that still heartbeats: only a cancellation ends it.
            for (;;) {
              context.heartbeat();
              await sleep(200);
              if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
            }
          }
          if (mode === 'reject')
            throw ApplicationFailure.create({ type: 'storage_rejected', message: 'the database refused the write (22P05)', nonRetryable: true });
          if (mode === 'slow') await sleep(1500);
          return standard.finishRun(ending);
        },
      }),
    });
  });
  afterAll(() => stack?.close());

  const terminalEvents = async (id: string) => (await stack.events(id)).filter((e) => TERMINAL.includes(e.type));

  it('a stop while a failed run is being finished ends it failed, once, within seconds', async () => {
    mode = 'hang';
    const started = finishStarted();
    const id = await stack.createExecution({
      projectId: 'endings-stop-failed',
      prompt: 'fail, then stop',
      planMode: 'never',
      model: { provider: 'demo', model: 'demo-fail' },
    });
    await started;
    const before = performance.now();
    const response = await stack.post(`/v1/executions/${id}/cancel?wait=true`);
    const stopMs = performance.now() - before;
    // 200: it ended within the stop's wait (a 504 otherwise); the time it took is a figure, not a test.
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe('failed');
    expect(body.runs[0].error.type).toBe('model_request');
    const ended = await terminalEvents(id);
    expect(ended.map((e) => e.type)).toEqual(['run.failed']);
    console.log(`[endings] stop of a run stuck in bookkeeping: ${Math.round(stopMs)} ms until its terminal event`);
    mode = 'normal';
  });

  it('bookkeeping refused for good ends the run failed (system_error) and frees the project for the next', async () => {
    mode = 'reject';
    const started = finishStarted();
    const id = await stack.createExecution({ projectId: 'endings-reject', prompt: 'results cannot be stored', planMode: 'never' });
    await started;
    mode = 'normal';
    const next = await stack.createExecution({ projectId: 'endings-reject', prompt: 'the next one', planMode: 'never' });
    const done = await stack.waitForStatus(id, 'completed', 'failed', 'cancelled');
    expect(done.status).toBe('failed');
    expect(done.runs[0].error).toMatchObject({ type: 'system_error', message: expect.stringContaining('could not be recorded') });
    // The agent's own summary stands: only its results (files changed, progress log) are missing.
    expect(done.runs[0].summary).toContain('results cannot be stored');
    expect((await terminalEvents(id)).map((e) => e.type)).toEqual(['run.failed']);
    expect((await stack.waitForStatus(next, 'completed', 'failed')).status).toBe('completed');
  });

  it('a stop racing a successful end leaves exactly one terminal event', async () => {
    mode = 'slow';
    for (const delayMs of [0, 700, 1400]) {
      const started = finishStarted();
      const id = await stack.createExecution({ projectId: `endings-race-${delayMs}`, prompt: 'finish while being stopped', planMode: 'never' });
      await started;
      await sleep(delayMs);
      const stop = await stack.post(`/v1/executions/${id}/cancel`);
      expect([200, 409]).toContain(stop.status);
      const done = await stack.waitForStatus(id, 'completed', 'failed', 'cancelled');
      // The work had ended: the stop cut its finishing short at most, the outcome stands.
      expect(done.status).toBe('completed');
      expect((await terminalEvents(id)).map((e) => e.type)).toEqual(['run.completed']);
    }
    mode = 'normal';
  });
});
