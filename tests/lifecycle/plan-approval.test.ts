import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvePlanSignal, executionWorkflowId, runWorkflowId } from '../../workflows/definitions.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Plan approval through the API and through plain Temporal signals (as a chat bot would send them).
describe('plan approval', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.close());

  const create = (body: Record<string, unknown>) => stack.createExecution({ prompt: 'Add a health check', ...body });
  const eventTypes = async (id: string) => (await stack.events(id)).map((e) => e.type);
  /** Waits until the execution awaits a decision on plan `version`; returns the execution. */
  const awaitingPlan = (id: string, version: number) =>
    waitFor(`plan v${version} of ${id}`, async () => {
      const body = await (await stack.api(`/v1/executions/${id}`)).json();
      return body.status === 'awaiting_approval' && body.plan?.version === version ? body : undefined;
    });

  it('waits for approval with the plan shown, revises twice, then runs to completion once approved', async () => {
    const id = await create({ projectId: 'plan-revise' });
    const first = await awaitingPlan(id, 1);
    expect(first.plan.text).toContain('## Plan (version 1)');
    expect(first.plan.text).toContain('Add a health check');
    expect(first.currentRun).toMatchObject({ status: 'awaiting_approval', trigger: 'initial' });

    expect((await stack.post(`/v1/executions/${id}/plan/revise`, { feedback: 'Also log it' })).status).toBe(200);
    const second = await awaitingPlan(id, 2);
    expect(second.plan.text).toContain('Revised after feedback: "Also log it"');
    expect((await stack.post(`/v1/executions/${id}/plan/revise`, { feedback: 'Shorter', planVersion: 2 })).status).toBe(200);
    await awaitingPlan(id, 3);

    const approve = await stack.post(`/v1/executions/${id}/plan/approve`);
    expect(approve.status).toBe(200);
    expect(await approve.json()).toMatchObject({ action: 'approvePlan', planVersion: 3 });
    const done = await stack.waitForStatus(id, 'completed');
    expect(done.plan).toBeNull();

    const types = await eventTypes(id);
    expect(types.filter((t) => t.startsWith('plan.'))).toEqual([
      'plan.proposed',
      'plan.revision_requested',
      'plan.proposed',
      'plan.revision_requested',
      'plan.proposed',
      'plan.approved',
    ]);
    expect(types.at(-1)).toBe('run.completed');
    const events = await stack.events(id);
    expect(events.find((e: any) => e.type === 'plan.approved').actor).toEqual({ kind: 'user', id: stack.ownerId });

    // Each decision comes to the run itself (an Update from the API) and goes straight to the next
    // model step, which records it: no activity in between.
    const history = (await stack.env.client.workflow.getHandle(runWorkflowId(id, 1)).fetchHistory()).events!;
    const decisions = history.flatMap((e, i) => (e.workflowExecutionUpdateAcceptedEventAttributes ? [i] : []));
    expect(decisions.map((i) => history[i]!.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name)).toEqual([
      'revisePlan',
      'revisePlan',
      'approvePlan',
    ]);
    for (const at of decisions) {
      const next = history.slice(at).find((e) => e.activityTaskScheduledEventAttributes)!;
      expect(next.activityTaskScheduledEventAttributes!.activityType!.name).toBe('modelStep');
    }
    const reports = history
      .filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)
      .map((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes!.signalName);
    // Three plans, each decision's return to work, then the outcome.
    expect(reports).toEqual(Array(7).fill('runStatus'));
  });

  it('refuses a stale plan version through the API with 409, and records a stale signal as ignored', async () => {
    const id = await create({ projectId: 'plan-stale' });
    await awaitingPlan(id, 1);
    await stack.post(`/v1/executions/${id}/plan/revise`, { feedback: 'more detail' });
    await awaitingPlan(id, 2);

    const stale = await stack.post(`/v1/executions/${id}/plan/approve`, { planVersion: 1 });
    expect(stale.status).toBe(409);
    expect((await stale.json()).error.code).toBe('stale_plan_version');

    // Any Temporal client can decide; a stale decision changes nothing and is audited.
    const handle = stack.env.client.workflow.getHandle(executionWorkflowId(id));
    await handle.signal(approvePlanSignal, { planVersion: 1, by: { kind: 'integration', id: 'chat-bot', name: 'Chat' } });
    const ignored = await waitFor('the ignored decision to be recorded', async () => {
      const items = await stack.events(id);
      return items.find((e) => e.type === 'execution.signal_ignored');
    });
    expect(ignored).toMatchObject({
      actor: { kind: 'integration', id: 'chat-bot', name: 'Chat' },
      payload: { signal: 'approvePlan', reason: 'stale plan version', planVersion: 1, currentPlanVersion: 2 },
    });
    expect((await awaitingPlan(id, 2)).status).toBe('awaiting_approval');

    // The current version, signalled directly, is accepted; deciding it again is "already decided".
    await handle.signal(approvePlanSignal, { planVersion: 2, by: { kind: 'integration', id: 'chat-bot' } });
    await handle.signal(approvePlanSignal, { planVersion: 2, by: { kind: 'integration', id: 'chat-bot' } });
    await stack.waitForStatus(id, 'completed');
    const reasons = (await stack.events(id)).filter((e) => e.type === 'execution.signal_ignored').map((e) => e.payload.reason);
    expect(reasons).toEqual(['stale plan version', 'already decided']);
  });

  it('ends the run and the execution cancelled (plan_rejected) on reject', async () => {
    const id = await create({ projectId: 'plan-reject' });
    await awaitingPlan(id, 1);
    expect((await stack.post(`/v1/executions/${id}/plan/reject`, { reason: 'not now' })).status).toBe(200);
    const cancelled = await stack.waitForStatus(id, 'cancelled');
    expect(cancelled.runs[0]).toMatchObject({ status: 'cancelled', cancelReason: 'plan_rejected' });
    const rejected = ((await (await stack.api(`/v1/executions/${id}/events`)).json()).items as any[]).find((e) => e.type === 'plan.rejected');
    expect(rejected.payload).toEqual({ version: 1, reason: 'not now' });
  });

  it('cancels the run (approval_timeout) when nobody decides in time', async () => {
    const id = await create({ projectId: 'plan-timeout', approvalTimeout: '2s' });
    const cancelled = await stack.waitForStatus(id, 'cancelled');
    expect(cancelled.runs[0]).toMatchObject({ status: 'cancelled', cancelReason: 'approval_timeout' });
  });

  it('skips the plan with planMode never, and lets the agent decide with auto', async () => {
    const never = await create({ projectId: 'plan-never', planMode: 'never' });
    const autoNoPlan = await create({ projectId: 'plan-auto-1', planMode: 'auto', prompt: 'Fix the typo' });
    const autoPlan = await create({ projectId: 'plan-auto-2', planMode: 'auto', prompt: 'Make a plan to split the module' });
    await stack.waitForStatus(never, 'completed');
    await stack.waitForStatus(autoNoPlan, 'completed');
    await awaitingPlan(autoPlan, 1);
    expect((await eventTypes(never)).some((t) => t.startsWith('plan.'))).toBe(false);
    expect((await eventTypes(autoNoPlan)).some((t) => t.startsWith('plan.'))).toBe(false);
  });

  it('lets operators find exactly the executions awaiting approval by search attribute', async () => {
    const waiting = await create({ projectId: 'plan-search' });
    await awaitingPlan(waiting, 1);
    const ids = await waitFor('visibility to list it', async () => {
      const found: string[] = [];
      const query = `TaskQueue="${stack.taskQueue}" AND AgentExecutionStatus="awaiting_approval"`;
      for await (const wf of stack.env.client.workflow.list({ query })) found.push(wf.workflowId);
      return found.includes(executionWorkflowId(waiting)) ? found : undefined;
    });
    for (const workflowId of ids) {
      const id = workflowId.replace('execution-', '');
      expect((await (await stack.api(`/v1/executions/${id}`)).json()).status).toBe('awaiting_approval');
    }
  });

  it('answers 409 naming the status for a decision when no plan awaits approval', async () => {
    const id = await create({ projectId: 'plan-409', planMode: 'never' });
    await stack.waitForStatus(id, 'completed');
    const response = await stack.post(`/v1/executions/${id}/plan/approve`);
    expect(response.status).toBe(409);
    expect((await response.json()).error.message).toMatch(/while the execution is completed/);
  });
});
