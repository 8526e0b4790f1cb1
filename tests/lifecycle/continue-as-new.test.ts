import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/free-port.ts';
import { type DevServer, startTemporalDevServer } from '../../scripts/temporal-server.ts';
import { executionWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Long executions continue as new when Temporal suggests it. A dev server of this file's own
// suggests it after 60 history events, so a few follow-ups are enough.
describe('continue-as-new', () => {
  let server: DevServer;
  let stack: TestStack;

  beforeAll(async () => {
    server = await startTemporalDevServer({ port: await freePort(), dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 } });
    stack = await startTestStack({ temporalAddress: server.address });
  });
  afterAll(async () => {
    await stack?.close();
    await server?.stop();
  });

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
});
