import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/free-port.ts';
import { type DevServer, startTemporalDevServer } from '../../scripts/temporal-server.ts';
import { executionWorkflowId, runWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { type AgentStack, startAgentStack } from '../helpers/agent-stack.ts';
import { scriptedModel } from '../helpers/scripted-model.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Long executions, and long runs, continue as new when Temporal suggests it. A dev server of this
// file's own suggests it after 60 history events, so a few follow-ups (or model steps) are enough.
const fixturesDir = path.join(import.meta.dirname, '..', 'fixtures', 'histories');
const looping = scriptedModel([{ toolCalls: [{ name: 'list_files', input: { pattern: '*' } }] }]);
/** Looks around for 12 steps while planning, proposes a plan, then finishes once it is approved. */
const lookThenPlan = scriptedModel((call) =>
  call < 12
    ? { toolCalls: [{ name: 'list_files', input: { pattern: '*' } }] }
    : call === 12
      ? { toolCalls: [{ name: 'propose_plan', input: { plan: 'Finish.' } }] }
      : { text: 'Done as planned.' },
);

describe('continue-as-new', () => {
  let server: DevServer;
  let stack: TestStack;
  /** Scripted models, for runs of many steps. */
  let agents: AgentStack;

  beforeAll(async () => {
    server = await startTemporalDevServer({ port: await freePort(), dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 } });
    stack = await startTestStack({ temporalAddress: server.address });
    agents = await startAgentStack({ looping, lookThenPlan }, { temporalAddress: server.address });
    await agents.putAgent('forty-steps', { maxSteps: 40, toolsNeedingApproval: [] });
    await agents.putAgent('endless', { maxSteps: 10_000, toolsNeedingApproval: [] });
  });
  afterAll(async () => {
    await agents?.close();
    await stack?.close();
    await server?.stop();
  });

  /** The workflow runs (continue-as-new chain) of an execution's first run, with their history lengths. */
  const runChain = async (id: string) => {
    const chain: number[] = [];
    for await (const wf of agents.env.client.workflow.list({ query: `WorkflowId="${runWorkflowId(id, 1)}"` })) chain.push(wf.historyLength);
    return chain;
  };

  it('carries its runs and turns across continue-as-new, and keeps taking follow-ups', async () => {
    const id = await stack.createExecution({ projectId: `can-${Date.now()}`, prompt: 'turn 1', planMode: 'never' });
    const turns = 4;
    for (let turn = 1; turn <= turns; turn++) {
      await waitFor(`turn ${turn} to complete`, async () => {
        const body = await (await stack.api(`/v1/executions/${id}`)).json();
        return body.status === 'completed' && body.runs.length === turn ? body : undefined;
      });
      if (turn < turns) {
        await stack.api(`/v1/executions/${id}/messages`, { method: 'POST', body: JSON.stringify({ text: `turn ${turn + 1}` }) });
      }
    }

    const runIds = new Set<string>();
    for await (const wf of stack.env.client.workflow.list({ query: `WorkflowId="${executionWorkflowId(id)}"` })) runIds.add(wf.runId);
    expect(runIds.size).toBeGreaterThan(1); // it did continue as new

    const state = await stack.env.client.workflow.getHandle(executionWorkflowId(id)).query(stateQuery);
    expect(state).toMatchObject({ status: 'completed', turns });
    expect(state.runs.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    const events = await stack.events(id);
    expect(events.filter((e) => e.type === 'execution.created')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'run.completed')).toHaveLength(turns);
  });

  it('a long run continues as new with its budgets, each workflow run keeping a short history', async () => {
    const id = await agents.run('forty-steps', 'looping');
    const done = await agents.waitForStatus(id, 'completed', 'failed');
    // The step budget held across the chain: exactly 40 model steps, then budget_exceeded.
    expect(done.runs[0]).toMatchObject({ status: 'failed', modelSteps: 40, toolCalls: 40, error: { type: 'budget_exceeded', budget: 'maxSteps' } });
    const chain = await runChain(id);
    expect(chain.length).toBeGreaterThan(5);
    for (const length of chain) expect(length).toBeLessThan(100);
    const types = (await agents.events(id)).map((e) => e.type);
    expect(types.filter((t) => t === 'run.started')).toHaveLength(1); // prepared once, not again after continue-as-new
    expect(types.filter((t) => t === 'model.step_completed')).toHaveLength(40);
    expect(types.at(-1)).toBe('run.failed');

    // The chain's first workflow run (prepared, then continued as new) and its last (carried, then
    // finished) replay with the current code; RECORD_HISTORIES=1 commits them as replay fixtures.
    const runs = [];
    for await (const wf of agents.env.client.workflow.list({ query: `WorkflowId="${runWorkflowId(id, 1)}"` })) runs.push(wf);
    runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    const ends = { first: runs[0]!, last: runs.at(-1)! };
    for (const [name, wf] of Object.entries(ends)) {
      const history = await agents.env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      await expect(
        Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, wf.workflowId),
      ).resolves.toBeUndefined();
      if (process.env.RECORD_HISTORIES) {
        const json = temporal.api.history.v1.History.fromObject(history).toJSON();
        fs.writeFileSync(path.join(fixturesDir, `run-continued-as-new-${name}.json`), JSON.stringify({ workflowId: wf.workflowId, history: json }));
      }
    }
  });

  it('a run that has continued as new still takes a stop', async () => {
    const id = await agents.run('endless', 'looping');
    await waitFor('the run to continue as new', async () => ((await runChain(id)).length >= 3 ? true : undefined));
    const stopped = await agents.api(`/v1/executions/${id}/cancel?wait=true`, { method: 'POST' });
    expect(stopped.status).toBe(200);
    expect((await stopped.json()).runs[0]).toMatchObject({ status: 'cancelled', cancelReason: 'stopped' });
  });

  it('a plan proposed after continue-as-new is decided as any other', async () => {
    const id = await agents.run('endless', 'lookThenPlan', { planMode: 'always' });
    const waiting = await agents.waitForStatus(id, 'awaiting_approval');
    expect((await runChain(id)).length).toBeGreaterThan(1);
    expect((await agents.post(`/v1/executions/${id}/plan/approve`, { planVersion: waiting.plan.version })).status).toBe(200);
    const done = await agents.waitForStatus(id, 'completed', 'failed');
    expect(done.runs[0]).toMatchObject({ status: 'completed', summary: 'Done as planned.' });
    expect((await agents.events(id)).filter((e) => e.type === 'plan.approved')).toHaveLength(1);
  });
});
