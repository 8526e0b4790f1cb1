import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentExecutionStatusKey, OwnerIdKey, ProjectIdKey } from '../../common/search-attributes.ts';
import { executionWorkflowId, runWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { DEMO_RUN_EVENTS } from '../helpers/demo-events.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// The vertical slice through real HTTP, a real worker, the real Temporal dev server and Postgres.
describe('an execution through the API', () => {
  let stack: TestStack;
  let created: Record<string, any>;
  let finished: Record<string, any>;

  beforeAll(async () => {
    stack = await startTestStack();
    const response = await stack.api('/v1/executions', {
      method: 'POST',
      body: JSON.stringify({ projectId: 'proj-slice', prompt: 'Summarise the README', planMode: 'never', agentId: 'unattended' }),
    });
    expect(response.status).toBe(201);
    created = await response.json();
    finished = await stack.waitForStatus(created.id, 'completed', 'failed');
  });
  afterAll(() => stack?.close());

  it('answers 201 with the new execution, pending', () => {
    expect(created).toMatchObject({
      projectId: 'proj-slice',
      prompt: 'Summarise the README',
      planMode: 'never',
      status: 'pending',
      ownerId: stack.ownerId,
      runs: [],
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('completes with one run that has a global number and a summary', () => {
    expect(finished.status).toBe('completed');
    expect(finished.runs).toHaveLength(1);
    const [run] = finished.runs;
    expect(run).toMatchObject({ index: 1, trigger: 'initial', status: 'completed', turnNumber: 1, attempt: 1 });
    expect(run.number).toBeGreaterThan(0);
    expect(run.summary).toContain('Summarise the README');
    expect(finished.currentRunId).toBe(run.id);
    expect(Date.parse(run.endedAt)).toBeGreaterThanOrEqual(Date.parse(run.startedAt));
  });

  it('lists its audit events in cursor order with every field', async () => {
    const response = await stack.api(`/v1/executions/${created.id}/events`);
    expect(response.status).toBe(200);
    const { items, nextCursor } = await response.json();
    expect(items.map((e: any) => e.type)).toEqual(['execution.created', ...DEMO_RUN_EVENTS]);
    expect(nextCursor).toBeNull();
    const cursors = items.map((e: any) => BigInt(e.cursor));
    expect([...cursors].sort((a, b) => (a < b ? -1 : 1))).toEqual(cursors);
    const runId = finished.runs[0].id;
    expect(items.find((e: any) => e.type === 'run.started')).toEqual({
      cursor: expect.any(String),
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'run.started',
      version: 1,
      executionId: created.id,
      runId,
      runNumber: finished.runs[0].number,
      turnNumber: 1,
      attempt: 1,
      actor: { kind: 'system', id: 'agent-runs' },
      occurredAt: expect.any(String),
      payload: { index: 1, trigger: 'initial' },
    });
    expect(items[0].payload).toMatchObject({ projectId: 'proj-slice', prompt: 'Summarise the README' });
  });

  it('pages through events with nextCursor, with no gap and no repeat', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=1&cursor=${cursor}` : '?limit=1';
      const page: any = await (await stack.api(`/v1/executions/${created.id}/events${query}`)).json();
      seen.push(...page.items.map((e: any) => e.type));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['execution.created', ...DEMO_RUN_EVENTS]);
  });

  it('is a Temporal workflow operators can find by search attributes, with its run as a child', async () => {
    const handle = stack.env.client.workflow.getHandle(executionWorkflowId(created.id));
    // Still open after its run: it waits, idle, for a follow-up, retry or resume. (Postgres hears of
    // the run's end from the child a moment before the parent workflow updates its search attribute.)
    const description = await waitFor('the workflow to take in the outcome', async () => {
      const d = await handle.describe();
      return d.typedSearchAttributes.get(AgentExecutionStatusKey) === 'completed' ? d : undefined;
    });
    expect(description.status.name).toBe('RUNNING');
    expect(description.typedSearchAttributes.get(ProjectIdKey)).toBe('proj-slice');
    expect(description.typedSearchAttributes.get(OwnerIdKey)).toBe(stack.ownerId);
    expect(description.typedSearchAttributes.get(AgentExecutionStatusKey)).toBe('completed');
    const state = await handle.query(stateQuery);
    expect(state).toMatchObject({ status: 'completed', turns: 1, plan: null, queuePosition: null });
    expect(state.runs).toEqual([expect.objectContaining({ index: 1, trigger: 'initial', status: 'completed' })]);

    // The UI reads well: a summary on the workflow (the prompt's first line) and on each activity.
    expect(await description.staticSummary()).toBe('Summarise the README');
    const history = await stack.env.client.workflow.getHandle(runWorkflowId(created.id, 1)).fetchHistory();
    const summaries = history
      .events!.filter((e) => e.userMetadata?.summary?.data)
      .map((e) => JSON.parse(Buffer.from(e.userMetadata!.summary!.data!).toString()));
    expect(summaries).toEqual([
      `Run 1 (initial) of execution ${created.id}`,
      'prepare workspace and prompt',
      'model step 1',
      'list_files (step 1)',
      'model step 2',
      'write_file (step 2)',
      'model step 3',
      'run_command (step 3)',
      'model step 4',
      'record results (files changed, summary, progress log)',
      'record run.completed',
    ]);

    const child = await stack.env.client.workflow.getHandle(runWorkflowId(created.id, 1)).describe();
    expect(child.type).toBe('runWorkflow');
    expect(child.parentExecution?.workflowId).toBe(executionWorkflowId(created.id));
  });

  it('hides the execution from other owners', async () => {
    const otherToken = (await stack.tokenFor('someone-else')).token;
    const response = await stack.api(`/v1/executions/${created.id}`, { headers: { authorization: `Bearer ${otherToken}` } });
    expect(response.status).toBe(404);
    const events = await stack.api(`/v1/executions/${created.id}/events`, { headers: { authorization: `Bearer ${otherToken}` } });
    expect(events.status).toBe(404);
  });

  it('numbers runs globally: a second execution gets a higher run number', async () => {
    const response = await stack.api('/v1/executions', {
      method: 'POST',
      body: JSON.stringify({ projectId: 'proj-slice-2', prompt: 'Second', planMode: 'never', agentId: 'unattended' }),
    });
    const second = await stack.waitForStatus((await response.json()).id, 'completed');
    expect(second.runs[0].number).toBeGreaterThan(finished.runs[0].number);
  });
});
