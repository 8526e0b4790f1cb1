import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../api/decide.ts';
import {
  approvePlanSignal,
  approvePlanUpdate,
  approveToolSignal,
  executionWorkflowId,
  queuePositionSignal,
  runStatusSignal,
  runWorkflowId,
  slotGrantedSignal,
  stopRunSignal,
} from '../../workflows/definitions.ts';
import { restartableWorker } from '../helpers/restartable-worker.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Decisions are Workflow Updates: the caller hears the workflow's own verdict at once (200 or 409),
// and when no worker answers in time, a 503 with nothing changed.
describe('decisions as Workflow Updates', () => {
  let stack: TestStack;
  let startWorker: () => Promise<void>;
  let stopWorker: () => Promise<void>;

  beforeAll(async () => {
    stack = await startTestStack({ startWorker: false, decisionDeadlineMs: 3000 });
    ({ start: startWorker, stop: stopWorker } = restartableWorker(stack.workerDeps));
    await startWorker();
  });
  afterAll(async () => {
    await stopWorker();
    await stack?.close();
  });

  const awaitingPlan = (id: string) => stack.waitForExecution(id, 'to await approval', (body) => body.status === 'awaiting_approval');

  it('two approvals of the same plan at once: one is accepted (200), the other refused by the workflow (409)', async () => {
    const id = await stack.createExecution({ projectId: 'decide-twice', prompt: 'plan it' });
    await awaitingPlan(id);
    const responses = await Promise.all([stack.post(`/v1/executions/${id}/plan/approve`), stack.post(`/v1/executions/${id}/plan/approve`)]);
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const refused = await responses.find((r) => r.status === 409)!.json();
    expect(refused.error.code).toBe('stale_plan_version');
    expect((await stack.waitForStatus(id, 'completed')).runs).toHaveLength(1);
    expect((await stack.events(id)).filter((e) => e.type === 'plan.approved')).toHaveLength(1);
  });

  it('any Temporal client gets the verdict of an Update: a stale version is refused, naming it', async () => {
    const id = await stack.createExecution({ projectId: 'decide-client', prompt: 'plan it' });
    await awaitingPlan(id);
    const handle = stack.env.client.workflow.getHandle(executionWorkflowId(id));
    // The execution passes it on; the refusal is the run's own, with its code and reason.
    const refused = await handle
      .executeUpdate(approvePlanUpdate, { args: [{ planVersion: 7, by: { kind: 'integration', id: 'bot' } }] })
      .catch((err) => err);
    expect(refused.cause).toMatchObject({
      type: 'stale_plan_version',
      message: expect.stringContaining('plan version 7 is not the one awaiting approval (version 1)'),
    });
    const accepted = await handle.executeUpdate(approvePlanUpdate, { args: [{ planVersion: 1, by: { kind: 'integration', id: 'bot' } }] });
    expect(accepted).toMatchObject({ executionId: id, action: 'approvePlan' });
    await stack.waitForStatus(id, 'completed');
  });

  it('with no worker to answer: 503 worker_unavailable, and the decision is not applied later', async () => {
    const id = await stack.createExecution({ projectId: 'decide-no-worker', prompt: 'plan it' });
    await awaitingPlan(id);
    await stopWorker();
    const response = await stack.post(`/v1/executions/${id}/plan/approve`);
    expect(response.status).toBe(503);
    expect((await response.json()).error.code).toBe('worker_unavailable');
    await startWorker();
    // The expired decision reaches the workflow once a worker is back, and is refused: still waiting.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const body = await (await stack.api(`/v1/executions/${id}`)).json();
    expect(body.status).toBe('awaiting_approval');
    expect((await stack.events(id)).some((e) => e.type === 'plan.approved')).toBe(false);
    // A restarted worker may take longer than the 3 s deadline for its first task: a 503 says try again.
    const approve = await waitFor('the approval to be judged', async () => {
      const answer = await stack.post(`/v1/executions/${id}/plan/approve`);
      return answer.status === 503 ? undefined : answer;
    });
    expect(approve.status).toBe(200);
    await stack.waitForStatus(id, 'completed');
  });

  it('a decision accepted at its last moment, its answer after the deadline: asked again, the API answers with its verdict', async () => {
    const id = await stack.createExecution({ projectId: 'decide-late-answer', prompt: 'plan it' });
    await awaitingPlan(id);
    const { client } = stack.env;
    // The first call reaches the workflow (it accepts), but its answer comes as a deadline would.
    let late = true;
    const lateClient = {
      workflow: client.workflow,
      connection: {
        async withDeadline<T>(deadline: number, fn: () => Promise<T>): Promise<T> {
          const answer = await client.connection.withDeadline(deadline, fn);
          if (!late) return answer;
          late = false;
          throw Object.assign(new Error('deadline exceeded'), { code: 4 });
        },
      },
    } as unknown as typeof client;
    const result = await decide(
      { db: stack.database.db, client: lateClient },
      id,
      approvePlanUpdate,
      { planVersion: 1, by: { kind: 'user', id: 'u' } },
      { run: 1 },
    );
    expect(result).toMatchObject({ executionId: id, action: 'approvePlan' });
    await stack.waitForStatus(id, 'completed');
    expect((await stack.events(id)).filter((e) => e.type === 'plan.approved')).toHaveLength(1);
  });

  it('a malformed signal from any client is refused and audited, and the execution goes on', async () => {
    const id = await stack.createExecution({ projectId: 'decide-malformed', prompt: 'plan it' });
    await awaitingPlan(id);
    const handle = stack.env.client.workflow.getHandle(executionWorkflowId(id));
    await handle.signal('stop');
    await handle.signal(approvePlanSignal, { planVersion: 'one', by: { kind: 'integration', id: 'bot' } } as never);
    await expect(handle.executeUpdate(approvePlanUpdate, { args: [{ by: { kind: 'robot', id: 'x' } } as never] })).rejects.toThrow();
    const ignored = await waitFor('both refusals to be audited', async () => {
      const found = (await stack.events(id)).filter((e) => e.type === 'execution.signal_ignored');
      return found.length === 2 ? found : undefined;
    });
    // The two signals' audit writes are separate activities: they may be stored in either order.
    expect(ignored.map((e) => e.payload.reason).sort()).toEqual([
      'malformed approvePlan: "planVersion" must be a number',
      'malformed stop: the payload must be an object',
    ]);
    expect((await stack.post(`/v1/executions/${id}/plan/approve`)).status).toBe(200);
    await stack.waitForStatus(id, 'completed');
  });

  it('malformed signals sent by hand to our own workflows are ignored (or refused and audited): the execution, its run and its slot go on', async () => {
    const projectId = 'decide-malformed-internal';
    const id = await stack.createExecution({ projectId, prompt: 'plan it' });
    await awaitingPlan(id);
    const { workflow } = stack.env.client;
    const execution = workflow.getHandle(executionWorkflowId(id));
    await execution.signal(runStatusSignal, { runId: 'r', status: 'exploded' } as never);
    await execution.signal(slotGrantedSignal, [] as never);
    // A well-formed grant of a request it never made: handed back, which frees nothing it holds.
    await execution.signal(slotGrantedSignal, { requestId: 'not-asked-for' });
    await execution.signal(queuePositionSignal, { requestId: 'x', position: 'first' } as never);
    const run = workflow.getHandle(runWorkflowId(id, 1));
    await run.signal(approvePlanSignal, { planVersion: 'one', by: { kind: 'user', id: 'u' } } as never);
    await run.signal(approveToolSignal, 7 as never);
    await run.signal(stopRunSignal, { by: 'me' } as never);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Each still works: the slot is still held (the next waits), the plan awaits its decision, the run
    // completes, the project's slot goes to the next.
    const next = await stack.createExecution({ projectId, prompt: 'plan it' });
    await stack.waitForStatus(next, 'queued');
    expect((await stack.post(`/v1/executions/${id}/plan/approve`)).status).toBe(200);
    await stack.waitForStatus(id, 'completed');
    await awaitingPlan(next);
    expect((await stack.events(id)).some((e) => e.type === 'run.stop_requested' || e.type === 'run.cancelled')).toBe(false);
  });

  it('an approval through the execution (an operator) and one through the API at once: the run judges both, takes one', async () => {
    const id = await stack.createExecution({ projectId: 'decide-two-paths', prompt: 'plan it' });
    await awaitingPlan(id);
    const handle = stack.env.client.workflow.getHandle(executionWorkflowId(id));
    const [viaExecution, viaApi] = await Promise.allSettled([
      handle.executeUpdate(approvePlanUpdate, { args: [{ planVersion: 1, by: { kind: 'operator', id: 'cli' } }] }),
      stack.post(`/v1/executions/${id}/plan/approve`),
    ]);
    const apiStatus = viaApi.status === 'fulfilled' ? viaApi.value.status : 0;
    expect([apiStatus === 200, viaExecution.status === 'fulfilled'].filter(Boolean)).toHaveLength(1);
    if (apiStatus !== 200) expect(apiStatus).toBe(409);
    else expect(String((viaExecution as PromiseRejectedResult).reason.cause?.message)).toMatch(/decided already|no plan awaits approval/);
    await stack.waitForStatus(id, 'completed');
    expect((await stack.events(id)).filter((e) => e.type === 'plan.approved')).toHaveLength(1);
  });

  it('a run an operator cancelled while it waited takes no decision while it ends: 409, nothing approved', async () => {
    const id = await stack.createExecution({ projectId: 'decide-cancelled-run', prompt: 'plan it' });
    await awaitingPlan(id);
    const run = stack.env.client.workflow.getHandle(runWorkflowId(id, 1));
    await run.cancel();
    await waitFor('the run to be finishing', async () => {
      const events = (await run.fetchHistory()).events ?? [];
      return events.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'finishRun') ? true : undefined;
    });
    const response = await stack.post(`/v1/executions/${id}/plan/approve`);
    expect(response.status).toBe(409);
    expect((await response.json()).error.code).toBe('invalid_state');
    await stack.waitForStatus(id, 'cancelled');
    expect((await stack.events(id)).some((e) => e.type === 'plan.approved')).toBe(false);
  });
});
