import { ApplicationFailure } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../activities/index.ts';
import { toolCalls } from '../../db/schema.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/** A test stack for one describe block, its worker's activities changed by `activities`; read by tests once it has started. */
function stackWith(activities: (standard: Activities) => Activities): { current: TestStack } {
  const ref = {} as { current: TestStack };
  beforeAll(async () => {
    ref.current = await startTestStack({ activities });
  });
  afterAll(() => ref.current?.close());
  return ref;
}

// When a run's setup fails for good, the run and the execution end `failed` with the reason stored.
describe('a run whose work fails permanently', () => {
  let attempts = 0;
  const ref = stackWith((standard) => ({
    ...standard,
    async prepareRun() {
      attempts++;
      throw ApplicationFailure.nonRetryable('the workspace template is gone', 'workspace_unavailable');
    },
  }));

  it('ends failed, with the error type and message and a system summary, after one attempt', async () => {
    const stack = ref.current;
    const id = await stack.createExecution({ projectId: 'proj-fail', prompt: 'fail please', planMode: 'never' });
    const failed = await stack.waitForStatus(id, 'failed', 'completed');
    expect(failed.status).toBe('failed');
    expect(failed.runs[0]).toMatchObject({
      status: 'failed',
      summary: expect.stringContaining('The run failed (workspace_unavailable: the workspace template is gone)'),
      error: { type: 'workspace_unavailable', message: 'the workspace template is gone' },
    });
    expect(attempts).toBe(1);

    const { items } = await (await stack.api(`/v1/executions/${id}/events`)).json();
    expect(items.map((e: any) => e.type)).toEqual(['execution.created', 'run.created', 'run.failed']);
    expect(items[2].payload.error).toEqual({ type: 'workspace_unavailable', message: 'the workspace template is gone' });
  });
});

// A transient error in a tool activity (a lost connection, a full disk) is retried and the run goes on.
describe('a run whose tool activity fails transiently', () => {
  let toolAttempts = 0;
  const ref = stackWith((standard) => ({
    ...standard,
    async runTool(call) {
      toolAttempts++;
      if (toolAttempts === 1) throw new Error('connection reset');
      return standard.runTool(call);
    },
  }));

  it('retries the tool and completes, each tool call completed once', async () => {
    const stack = ref.current;
    const id = await stack.createExecution({ projectId: 'proj-transient', prompt: 'flaky network', planMode: 'never' });
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.status).toBe('completed');
    const events = (await (await stack.api(`/v1/executions/${id}/events?limit=500`)).json()).items;
    const completed = events.filter((e: any) => e.type === 'tool.call_completed');
    expect(new Set(completed.map((e: any) => e.payload.callId)).size).toBe(completed.length);
    expect(completed.length).toBe(done.runs[0].toolCalls);
    expect(toolAttempts).toBe(completed.length + 1);
  });
});

// A person's approval is recorded by the tool call it approves; should that call fail before it
// records anything, the run's finish records the approval: an accepted decision is never lost.
describe('a run whose approved tool call fails before it starts', () => {
  const ref = stackWith((standard) => ({
    ...standard,
    async runTool(call) {
      if (call.approvedBy) throw ApplicationFailure.nonRetryable('the sandbox is gone', 'sandbox_unavailable');
      return standard.runTool(call);
    },
  }));

  it('ends failed, with the approval audited', async () => {
    const stack = ref.current;
    // The default agent holds the demo's run_command for permission.
    const id = await stack.createExecution({ projectId: 'proj-approved-fail', prompt: 'run it', planMode: 'never', agentId: 'default' });
    const waiting = await stack.waitForStatus(id, 'waiting_permission');
    expect((await stack.post(`/v1/executions/${id}/tools/${waiting.pendingToolCall.callId}/approve`)).status).toBe(200);
    const failed = await stack.waitForStatus(id, 'failed', 'completed');
    expect(failed.runs[0].error).toEqual({ type: 'sandbox_unavailable', message: 'the sandbox is gone' });
    const { items } = await (await stack.api(`/v1/executions/${id}/events?limit=500`)).json();
    const approval = items.find((e: any) => e.type === 'tool.approved');
    expect(approval).toMatchObject({ actor: { kind: 'user', id: stack.ownerId }, payload: { callId: waiting.pendingToolCall.callId } });
    expect(items.at(-1).type).toBe('run.failed');
  });
});

// A retried runTool carries the approval again: recording it again must not undo the call's later status.
describe('an approved tool call whose activity is retried after it ran', () => {
  let attempts = 0;
  const ref = stackWith((standard) => ({
    ...standard,
    async runTool(call) {
      const result = await standard.runTool(call);
      if (call.approvedBy && ++attempts === 1) throw new Error('the worker lost its reply');
      return result;
    },
  }));

  it('completes, the call completed (not back to approved), approved once in the audit', async () => {
    const stack = ref.current;
    const id = await stack.createExecution({ projectId: 'proj-approved-retry', prompt: 'run it', planMode: 'never', agentId: 'default' });
    const waiting = await stack.waitForStatus(id, 'waiting_permission');
    expect((await stack.post(`/v1/executions/${id}/tools/${waiting.pendingToolCall.callId}/approve`)).status).toBe(200);
    await stack.waitForStatus(id, 'completed');
    expect(attempts).toBe(2);
    const [call] = await stack.database.db.select().from(toolCalls).where(eq(toolCalls.id, waiting.pendingToolCall.callId));
    expect(call).toMatchObject({ status: 'completed', decidedBy: { kind: 'user', id: stack.ownerId } });
    const { items } = await (await stack.api(`/v1/executions/${id}/events?limit=500`)).json();
    expect(items.filter((e: any) => e.type === 'tool.approved')).toHaveLength(1);
  });
});
