import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflowId } from '../../workflows/definitions.ts';
import { type AgentStack, startAgentStack } from '../helpers/agent-stack.ts';
import { scriptedModel } from '../helpers/scripted-model.ts';

const flaky = scriptedModel([{ status: 429 }, { text: 'Recovered after a rate limit.' }]);
const unauthorized = scriptedModel([{ status: 401 }]);
const looping = scriptedModel([{ toolCalls: [{ name: 'list_files', input: { pattern: '*' } }] }]);
const pricedLoop = scriptedModel([{ toolCalls: [{ name: 'list_files', input: { pattern: '*' } }], usage: { input: 100_000, output: 10_000 } }]);
const slow = scriptedModel([{ delayMs: 20_000, text: 'too late' }]);
const unpriced = scriptedModel([{ text: 'Free as far as anyone knows.' }]);
const planned = scriptedModel([{ toolCalls: [{ name: 'propose_plan', input: { plan: 'Say done.' } }] }, { text: 'Done.' }]);
const plannedOnly = scriptedModel([{ toolCalls: [{ name: 'propose_plan', input: { plan: 'Say done.' } }] }]);

describe('failures and budgets', () => {
  let stack: AgentStack;
  beforeAll(async () => {
    stack = await startAgentStack({ flaky, unauthorized, looping, pricedLoop, slow, unpriced, planned, plannedOnly });
  });
  afterAll(() => stack?.close());

  it('retries a 429 from the model and completes; the retried attempt is marked', async () => {
    const id = await stack.run('unattended', 'flaky');
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.status).toBe('completed');
    expect(done.runs[0].summary).toBe('Recovered after a rate limit.');
    expect(flaky.doStreamCalls).toHaveLength(2);
    const step = (await stack.events(id)).find((e) => e.type === 'model.step_completed');
    expect(step.payload.activityAttempt).toBe(2);
  });

  it('fails at once on a 401, with type model_auth and the provider message', async () => {
    const id = await stack.run('unattended', 'unauthorized');
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.status).toBe('failed');
    expect(done.runs[0].error).toMatchObject({ type: 'model_auth', message: expect.stringContaining('scripted 401') });
    expect(unauthorized.doStreamCalls).toHaveLength(1);
    expect(done.runs[0].summary).toMatch(/The run failed \(model_auth: .*\(Summary written by the system\.\)/);
  });

  it('ends a run that keeps calling tools at maxSteps', async () => {
    await stack.putAgent('three-steps', { maxSteps: 3, toolsNeedingApproval: [] });
    const id = await stack.run('three-steps', 'looping');
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.runs[0]).toMatchObject({ status: 'failed', modelSteps: 3, error: { type: 'budget_exceeded', budget: 'maxSteps' } });
    expect(done.runs[0].error.message).toContain('maxSteps budget exceeded');
    // The time budget is one timer for the whole stretch of work, not one per model step and tool.
    const history = await stack.env.client.workflow.getHandle(runWorkflowId(id, 1)).fetchHistory();
    const timers = history.events!.filter((e) => e.timerStartedEventAttributes);
    expect(history.events!.filter((e) => e.activityTaskScheduledEventAttributes).length).toBeGreaterThan(6);
    expect(timers).toHaveLength(1);
  });

  it('ends a run at maxCostUsd, overridden per execution', async () => {
    // Each step costs $0.35; the override allows $0.50, so the second step spends too much.
    const id = await stack.run('unattended', 'pricedLoop', { budgets: { maxCostUsd: 0.5 } });
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.budgets).toEqual({ maxCostUsd: 0.5 });
    expect(done.runs[0]).toMatchObject({ status: 'failed', modelSteps: 2, error: { type: 'budget_exceeded', budget: 'maxCostUsd' } });
  });

  it('ends a run at maxDurationMs, cancelling the step in flight', async () => {
    const started = Date.now();
    const id = await stack.run('unattended', 'slow', { budgets: { maxDurationMs: 2000 } });
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.runs[0]).toMatchObject({ status: 'failed', error: { type: 'budget_exceeded', budget: 'maxDurationMs' } });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('does not count the time a run waits for a person against maxDurationMs', async () => {
    const id = await stack.run('unattended', 'planned', { planMode: 'always', budgets: { maxDurationMs: 1500 } });
    const waiting = await stack.waitForStatus(id, 'awaiting_approval');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await stack.post(`/v1/executions/${id}/plan/approve`, { planVersion: waiting.plan.version })).status).toBe(200);
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.runs[0]).toMatchObject({ status: 'completed', summary: 'Done.' });
  });

  it('records an approval that no model step follows (the step budget is spent): it is never lost', async () => {
    await stack.putAgent('one-step', { maxSteps: 1, toolsNeedingApproval: [] });
    const id = await stack.run('one-step', 'plannedOnly', { planMode: 'always' });
    await stack.waitForStatus(id, 'awaiting_approval');
    expect((await stack.post(`/v1/executions/${id}/plan/approve`)).status).toBe(200);
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.runs[0]).toMatchObject({ status: 'failed', error: { type: 'budget_exceeded', budget: 'maxSteps' } });
    const types = (await stack.events(id)).map((e) => e.type);
    expect(types.slice(types.indexOf('plan.proposed'))).toEqual(['plan.proposed', 'plan.approved', 'run.failed']);
  });

  it('records an unpriced model with cost null and a warning, never 0', async () => {
    const id = await stack.run('unattended', 'unpriced');
    const done = await stack.waitForStatus(id, 'completed');
    expect(done.runs[0].usage.costUsd).toBeNull();
    expect(done.totals.usage.costUsd).toBeNull();
    const warning = (await stack.events(id)).find((e) => e.type === 'run.warning');
    expect(warning.payload).toMatchObject({ code: 'price_missing' });
  });

  it('refuses an unknown or disabled agent, and bad budgets, at create time', async () => {
    const unknown = await stack.api('/v1/executions', { method: 'POST', body: JSON.stringify({ projectId: 'x', prompt: 'p', agentId: 'nobody' }) });
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error.code).toBe('agent_unavailable');
    await stack.putAgent('off', { enabled: false });
    const disabled = await stack.api('/v1/executions', { method: 'POST', body: JSON.stringify({ projectId: 'x', prompt: 'p', agentId: 'off' }) });
    expect(disabled.status).toBe(422);
    const bad = await stack.api('/v1/executions', {
      method: 'POST',
      body: JSON.stringify({ projectId: 'x', prompt: 'p', budgets: { maxSteps: 0 } }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('budgets.maxSteps');
  });
});
