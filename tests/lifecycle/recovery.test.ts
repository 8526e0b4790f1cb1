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
      },
      stdio: 'ignore',
    });
  });
  afterAll(async () => {
    workerProcess?.kill('SIGKILL');
    await stack?.close();
  });

  it('is replaced by a new worker and the run completes with no duplicate events', async () => {
    const id = await stack.createExecution({ projectId: 'crash', prompt: 'survive a crash', planMode: 'never', model: { provider: 'demo', model: 'demo-slow' } });
    await waitFor('a step to run on the first worker', async () => ((await stack.events(id)).some((e) => e.type === 'run.step') ? true : undefined), 60_000);
    workerProcess.kill('SIGKILL');

    const worker = await createWorker(stack.workerDeps);
    const done = await worker.runUntil(
      waitFor('the run to complete on the new worker', async () => {
        const body = await (await stack.api(`/v1/executions/${id}`)).json();
        return body.status === 'completed' ? body : undefined;
      }, 90_000),
    );
    expect(done.runs).toHaveLength(1);
    const types = (await stack.events(id)).map((e) => e.type);
    expect(types).toEqual(['execution.created', 'run.created', 'run.started', ...Array(5).fill('run.step'), 'run.completed']);
    const steps = (await stack.events(id)).filter((e) => e.type === 'run.step').map((e) => e.payload.step);
    expect(steps).toEqual([1, 2, 3, 4, 5]);
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

    expect((await stack.api(`/v1/executions/${id}/messages`, { method: 'POST', body: JSON.stringify({ text: 'Shorter please' }) })).status).toBe(202);
    const reopened = await waitFor('the follow-up to complete', async () => {
      const body = await (await stack.api(`/v1/executions/${id}`)).json();
      return body.runs.length === 2 && body.status === 'completed' ? body : undefined;
    });
    expect(reopened.runs[1]).toMatchObject({ index: 2, trigger: 'message', turnNumber: 2 });
    expect(reopened.runs[1].summary).toContain('starting with "Draft the release notes"');
    expect((await stack.events(id)).filter((e) => e.type === 'execution.created')).toHaveLength(1);

    // A retry is refused (409) after a completed run, closed workflow or not.
    expect((await stack.api(`/v1/executions/${id}/retry`, { method: 'POST' })).status).toBe(409);
  });
});
