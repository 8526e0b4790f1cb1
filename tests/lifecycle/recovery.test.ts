import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorker } from '../../worker/create-worker.ts';
import { executionWorkflowId } from '../../workflows/definitions.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
describe('a worker killed mid-run', () => {
  let stack: TestStack;
  let workerProcess: ChildProcess;

  beforeAll(async () => {
    stack = await startTestStack({ startWorker: false });
    workerProcess = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: inject('databaseUrl'),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: stack.taskQueue,
        DATA_DIR: stack.dataDir,
      },
      stdio: 'ignore',
    });
  });
  afterAll(async () => {
    workerProcess?.kill('SIGKILL');
    await stack?.close();
  });

  it('is replaced by a new worker and the run completes with no duplicate events', async () => {
    const id = await stack.createExecution({
      projectId: 'crash',
      prompt: 'survive a crash',
      planMode: 'never',
      model: { provider: 'demo', model: 'demo-slow' },
    });
    const stepDone = async () => ((await stack.events(id)).some((e) => e.type === 'model.step_completed') ? true : undefined);
    await waitFor('a step to run on the first worker', stepDone, 60_000);
    workerProcess.kill('SIGKILL');

    const worker = await createWorker(stack.workerDeps);
    const done = await worker.runUntil(
      stack.waitForExecution(id, 'the run to complete on the new worker', (body) => body.status === 'completed', 90_000),
    );
    expect(done.runs).toHaveLength(1);
    // Every model step completed (a step the kill cut off, even after it was stored, is run again and
    // its events carry the new activityAttempt), each tool call completed once, and the run ended once.
    const events = await stack.events(id);
    const steps = events.filter((e) => e.type === 'model.step_completed').map((e) => [e.payload.step, e.payload.activityAttempt]);
    expect([...new Set(steps.map(([step]) => step))]).toEqual([1, 2, 3, 4]);
    expect(new Set(steps.map((s) => s.join(':'))).size).toBe(steps.length);
    const calls = events.filter((e) => e.type === 'tool.call_completed').map((e) => e.payload.callId);
    expect(calls).toHaveLength(3);
    expect(new Set(calls).size).toBe(3);
    expect(events.filter((e) => e.type.startsWith('run.') && e.type !== 'run.prepared').map((e) => e.type)).toEqual([
      'run.created',
      'run.started',
      'run.completed',
    ]);
  }, 120_000);
});

describe('an execution whose workflow closed while idle', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ executionIdleTimeoutMs: 2000 });
  });
  afterAll(() => stack?.close());

  it('closes after the idle timeout and reopens on a follow-up, with its context from Postgres', async () => {
    const id = await stack.createExecution({ projectId: 'idle', prompt: 'Draft the release notes', planMode: 'never' });
    await stack.waitForStatus(id, 'completed');
    const handle = stack.env.client.workflow.getHandle(executionWorkflowId(id));
    await waitFor('the workflow to close idle', async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));

    expect((await stack.api(`/v1/executions/${id}/messages`, { method: 'POST', body: JSON.stringify({ text: 'Shorter please' }) })).status).toBe(200);
    const reopened = await stack.waitForExecution(id, 'the follow-up to complete', (body) => body.runs.length === 2 && body.status === 'completed');
    expect(reopened.runs[1]).toMatchObject({ index: 2, trigger: 'message', turnNumber: 2 });
    expect(reopened.runs[1].summary).toContain('starting with "Draft the release notes"');
    expect((await stack.events(id)).filter((e) => e.type === 'execution.created')).toHaveLength(1);

    // A retry is refused (409) after a completed run, closed workflow or not.
    expect((await stack.api(`/v1/executions/${id}/retry`, { method: 'POST' })).status).toBe(409);
  });
});
