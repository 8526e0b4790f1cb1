import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflowId } from '../../workflows/definitions.ts';
import { type AgentStack, startAgentStack } from '../helpers/agent-stack.ts';
import { scriptedModel } from '../helpers/scripted-model.ts';
import { waitFor } from '../helpers/wait-for.ts';

const gated = scriptedModel([
  { toolCalls: [{ name: 'run_command', input: { command: 'echo approved > approved.txt' } }] },
  { toolCalls: [{ name: 'run_command', input: { command: 'echo denied > denied.txt' } }] },
  { text: 'One command ran, one was denied.' },
]);
const escaping = scriptedModel([
  { toolCalls: [{ name: 'run_command', input: { command: 'ln -s /etc etc-link' } }] },
  {
    toolCalls: [
      { name: 'read_file', input: { path: '../outside.txt' } },
      { name: 'read_file', input: { path: '/etc/hostname' } },
      { name: 'read_file', input: { path: 'etc-link/hostname' } },
      { name: 'write_file', input: { path: 42 } },
      { name: 'write_file', input: '{"path": "broken' },
    ],
  },
  { text: 'Could not leave the workspace.' },
]);
const steady = scriptedModel([{ toolCalls: [{ name: 'run_command', input: { command: 'true' } }] }, { text: 'Done with the tools I started with.' }]);
const sleepy = scriptedModel([
  { toolCalls: [{ name: 'run_command', input: { command: 'sleep 37; echo late > late.txt' } }] },
  { text: 'unreachable' },
]);

describe('tools in the workspace', () => {
  let stack: AgentStack;
  beforeAll(async () => {
    stack = await startAgentStack({ gated, escaping, sleepy, steady });
    await stack.putAgent('gated', { toolsNeedingApproval: ['run_command'] });
  });
  afterAll(() => stack?.close());

  it('holds run_command for permission: an approved call runs, a denied one is reported to the model', async () => {
    const id = await stack.run('gated', 'gated');
    const first = await stack.waitForStatus(id, 'waiting_permission');
    expect(first.pendingToolCall).toEqual({ callId: expect.any(String), tool: 'run_command', input: { command: 'echo approved > approved.txt' } });
    expect(fs.existsSync(path.join(stack.workspace(id), 'approved.txt'))).toBe(false);

    const wrong = await stack.post(`/v1/executions/${id}/tools/00000000-0000-4000-8000-000000000000/approve`);
    expect(wrong.status).toBe(409);
    expect((await wrong.json()).error.code).toBe('stale_tool_call');
    expect((await stack.post(`/v1/executions/${id}/tools/${first.pendingToolCall.callId}/approve`)).status).toBe(200);

    const second = await waitFor('the second call to wait', async () => {
      const body = await (await stack.api(`/v1/executions/${id}`)).json();
      return body.status === 'waiting_permission' && body.pendingToolCall?.callId !== first.pendingToolCall.callId ? body : undefined;
    });
    expect(second.pendingToolCall.input).toEqual({ command: 'echo denied > denied.txt' });
    expect((await stack.post(`/v1/executions/${id}/tools/${second.pendingToolCall.callId}/deny`)).status).toBe(200);

    const done = await stack.waitForStatus(id, 'completed');
    expect(done.pendingToolCall).toBeNull();
    expect(fs.readFileSync(path.join(stack.workspace(id), 'approved.txt'), 'utf8')).toBe('approved\n');
    expect(fs.existsSync(path.join(stack.workspace(id), 'denied.txt'))).toBe(false);
    const events = await stack.events(id);
    expect(events.filter((e) => e.type.startsWith('tool.') && e.type !== 'tool.call_started').map((e) => e.type)).toEqual([
      'tool.permission_requested',
      'tool.approved',
      'tool.call_completed',
      'tool.permission_requested',
      'tool.denied',
    ]);
    expect(events.find((e) => e.type === 'tool.denied').actor).toEqual({ kind: 'user', id: stack.ownerId });
    expect(events.find((e) => e.type === 'tool.approved').actor).toEqual({ kind: 'user', id: stack.ownerId });
    // The approval travels with the call it approves: the activity after the decision is runTool itself.
    const history = (await stack.env.client.workflow.getHandle(runWorkflowId(id, 1)).fetchHistory()).events!;
    const decided = history.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'approveTool');
    expect(decided).toBeGreaterThan(0);
    const next = history.slice(decided).find((e) => e.activityTaskScheduledEventAttributes)!;
    expect(next.activityTaskScheduledEventAttributes!.activityType!.name).toBe('runTool');
    const deniedResult = gated.doStreamCalls[2]!.prompt.at(-1)!.content as any[];
    expect(deniedResult[0]).toMatchObject({ type: 'tool-result', output: { type: 'error-text', value: expect.stringMatching(/^Denied/) } });
    // Deciding again, or when nothing waits, is refused.
    const late = await stack.post(`/v1/executions/${id}/tools/${second.pendingToolCall.callId}/approve`);
    expect(late.status).toBe(409);
    expect((await late.json()).error.code).toBe('invalid_state');
  });

  it('refuses paths that lead out of the workspace and malformed input, as tool errors the model sees', async () => {
    const id = await stack.run('unattended', 'escaping');
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.status).toBe('completed');
    const results = escaping.doStreamCalls[2]!.prompt.at(-1)!.content as any[];
    expect(results).toHaveLength(5);
    for (const result of results) expect(result.output.type).toBe('error-text');
    const texts = results.map((r) => r.output.value as string);
    expect(texts[0]).toMatch(/outside the workspace/);
    expect(texts[1]).toMatch(/outside the workspace|absolute/);
    expect(texts[2]).toMatch(/outside the workspace/);
    expect(texts[3]).toMatch(/path|content/);
    expect(texts[4]).toMatch(/Invalid call of write_file/);
  });

  it('keeps the tools a run was prepared with when its agent is edited mid-run', async () => {
    await stack.putAgent('steady', { toolsNeedingApproval: ['run_command'] });
    const id = await stack.run('steady', 'steady');
    const waiting = await stack.waitForStatus(id, 'waiting_permission');
    // Meanwhile the agent loses every tool but read_file (and with it the approval rule).
    await stack.putAgent('steady', { allowedTools: ['read_file'], toolsNeedingApproval: [] });
    expect((await stack.post(`/v1/executions/${id}/tools/${waiting.pendingToolCall.callId}/approve`)).status).toBe(200);
    await stack.waitForStatus(id, 'completed');
    const declared = steady.doStreamCalls.map((options) => options.tools?.map((tool: any) => tool.name).sort());
    expect(declared).toHaveLength(2);
    expect(declared[1]).toEqual(declared[0]);
    expect(declared[0]).toContain('run_command');
  });

  it('stops a run_command mid-way: the command is killed and the run is cancelled', async () => {
    const id = await stack.run('unattended', 'sleepy');
    await stack.waitForEvent(id, 'tool.call_started');
    await waitFor('the command to run', async () => (running('sleep 37') ? true : undefined));
    const stopped = await stack.post(`/v1/executions/${id}/cancel?wait=true`);
    expect(stopped.status).toBe(200);
    expect((await stopped.json()).status).toBe('cancelled');
    // cancel?wait=true answers once the run is cancelled, which is after its command was killed.
    expect(running('sleep 37')).toBe(false);
    const events = await stack.events(id);
    expect(events.map((e) => e.type)).not.toContain('tool.call_completed');
    expect(events.at(-1).type).toBe('run.cancelled');
    expect(fs.existsSync(path.join(stack.workspace(id), 'late.txt'))).toBe(false);
  });
});

function running(pattern: string): boolean {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().trim().length > 0;
  } catch {
    return false; // pgrep exits 1 when nothing matches
  }
}
