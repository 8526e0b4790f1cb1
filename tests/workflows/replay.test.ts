import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OwnerIdKey } from '../../common/search-attributes.ts';
import { denyToolUpdate, executionWorkflowId, rejectPlanSignal, runWorkflowId, slotGrantedSignal } from '../../workflows/definitions.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Workflow code must replay its own histories: the ones it makes now, and the committed ones from
// earlier versions (tests/fixtures/histories), one per lifecycle path. Re-record with RECORD_HISTORIES=1
// (this file and tests/lifecycle/continue-as-new.test.ts, which records a long run's chain).
const { History } = temporal.api.history.v1;
const fixturesDir = path.join(import.meta.dirname, '..', 'fixtures', 'histories');
const replayOptions = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') } });

describe('workflow replay', () => {
  let stack: TestStack;
  const histories: Array<{ name: string; workflowId: string; history: unknown }> = [];

  beforeAll(async () => {
    stack = await startTestStack();
    const create = async (body: Record<string, unknown>) =>
      (await (await stack.post('/v1/executions', { prompt: 'replay me', planMode: 'never', agentId: 'unattended', ...body })).json()).id as string;
    const until = (id: string, check: (e: any) => boolean) =>
      waitFor(`execution ${id}`, async () => {
        const body = await (await stack.api(`/v1/executions/${id}`)).json();
        return check(body) ? body : undefined;
      });
    const project = `replay-${Date.now()}`;

    const completed = await create({ projectId: `${project}-a` });
    const planned = await create({ projectId: project, planMode: 'always' });
    await until(planned, (e) => e.status === 'awaiting_approval');
    const queued = await create({ projectId: project });
    await until(queued, (e) => e.status === 'queued');
    // A grant of a request it never made (or gave up): the holder hands it straight back.
    await stack.env.client.workflow.getHandle(executionWorkflowId(planned)).signal(slotGrantedSignal, { requestId: 'not-asked-for' });
    await stack.post(`/v1/executions/${planned}/plan/revise`, { feedback: 'smaller' });
    await until(planned, (e) => e.plan?.version === 2);
    await stack.post(`/v1/executions/${planned}/plan/approve`);
    await until(queued, (e) => e.status === 'completed');
    const rejected = await create({ projectId: `${project}-r`, planMode: 'always' });
    await until(rejected, (e) => e.status === 'awaiting_approval');
    // Rejected by a chat client's signal to the execution, which passes it on to the run.
    await stack.env.client.workflow
      .getHandle(executionWorkflowId(rejected))
      .signal(rejectPlanSignal, { planVersion: 1, by: { kind: 'integration', id: 'chat' } });
    const failed = await create({ projectId: `${project}-f`, model: { provider: 'demo', model: 'demo-fail' } });
    await until(failed, (e) => e.status === 'failed');
    await stack.post(`/v1/executions/${failed}/retry`);
    const stopped = await create({ projectId: `${project}-s`, model: { provider: 'demo', model: 'demo-slow' } });
    await until(stopped, (e) => e.status === 'running');
    await stack.post(`/v1/executions/${stopped}/cancel?wait=true`);
    await stack.post(`/v1/executions/${stopped}/resume`);
    await until(stopped, (e) => e.runs.length === 2);
    await stack.post(`/v1/executions/${stopped}/cancel?wait=true`);
    await until(completed, (e) => e.status === 'completed');
    await stack.post(`/v1/executions/${completed}/messages`, { text: 'and again' });
    for (const id of [completed, failed]) await until(id, (e) => e.runs.length === 2 && ['completed', 'failed'].includes(e.status));
    await until(planned, (e) => e.status === 'completed');
    await until(rejected, (e) => e.status === 'cancelled');
    // The default agent holds run_command for permission: approve the demo's command once, deny it on the follow-up.
    const gated = await create({ projectId: `${project}-g`, agentId: 'default' });
    // Approved through the API (an Update to the run), denied by an operator's Update to the execution (passed on).
    const decide = async (decision: 'approve' | 'deny', turn: number) => {
      const waiting = await until(gated, (e) => e.status === 'waiting_permission' && e.runs.length === turn);
      const callId = waiting.pendingToolCall.callId;
      if (decision === 'approve') await stack.post(`/v1/executions/${gated}/tools/${callId}/approve`);
      else
        await stack.env.client.workflow
          .getHandle(executionWorkflowId(gated))
          .executeUpdate(denyToolUpdate, { args: [{ callId, by: { kind: 'operator', id: 'cli' } }] });
      await until(gated, (e) => e.status === 'completed' && e.runs.length === turn);
    };
    await decide('approve', 1);
    await stack.post(`/v1/executions/${gated}/messages`, { text: 'once more' });
    await decide('deny', 2);
    // Handed off when done: the API tells the workflow its new owner (its OwnerId search attribute).
    const handed = await create({ projectId: `${project}-h` });
    await until(handed, (e) => e.status === 'completed');
    const heir = await stack.tokenFor('heir', { role: 'admin' });
    expect((await stack.post(`/v1/executions/${handed}/hand-off`, { userId: heir.userId })).status).toBe(200);
    const handedWorkflow = stack.env.client.workflow.getHandle(executionWorkflowId(handed));
    await waitFor('the new owner', async () =>
      (await handedWorkflow.describe()).typedSearchAttributes.get(OwnerIdKey) === heir.userId ? true : undefined,
    );

    const paths: Array<[string, string]> = [
      ['execution-follow-up', executionWorkflowId(completed)],
      ['execution-plan-revised-approved', executionWorkflowId(planned)],
      ['run-plan-revised-approved', runWorkflowId(planned, 1)],
      ['execution-queued', executionWorkflowId(queued)],
      ['execution-plan-rejected', executionWorkflowId(rejected)],
      ['run-plan-rejected', runWorkflowId(rejected, 1)],
      ['execution-failed-retried', executionWorkflowId(failed)],
      ['run-failed', runWorkflowId(failed, 1)],
      ['execution-stopped-resumed', executionWorkflowId(stopped)],
      ['run-stopped', runWorkflowId(stopped, 1)],
      ['execution-tool-permission', executionWorkflowId(gated)],
      ['run-tool-approved', runWorkflowId(gated, 1)],
      ['run-tool-denied', runWorkflowId(gated, 2)],
      ['execution-handed-off', executionWorkflowId(handed)],
    ];
    for (const [name, workflowId] of paths) {
      histories.push({ name, workflowId, history: await stack.env.client.workflow.getHandle(workflowId).fetchHistory() });
    }
    if (process.env.RECORD_HISTORIES) {
      for (const h of histories) {
        const json = History.fromObject(h.history as object).toJSON();
        fs.writeFileSync(path.join(fixturesDir, `${h.name}.json`), JSON.stringify({ workflowId: h.workflowId, history: json }));
      }
    }
  }, 120_000);
  afterAll(() => stack?.close());

  it('replays the histories the current code makes, for every path', async () => {
    expect(histories).toHaveLength(14);
    for (const { name, workflowId, history } of histories) {
      await expect(Worker.runReplayHistory(replayOptions(), history, workflowId), name).resolves.toBeUndefined();
    }
  });

  const fixtures = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.json'));

  it('has committed histories of every path to replay', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
  });

  it.each(fixtures)('replays the committed history %s', async (file) => {
    const { workflowId, history } = JSON.parse(fs.readFileSync(path.join(fixturesDir, file), 'utf8'));
    await expect(Worker.runReplayHistory(replayOptions(), History.fromObject(history), workflowId)).resolves.toBeUndefined();
  });
});
