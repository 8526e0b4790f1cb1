import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEventWriter } from '../../activities/run-events.ts';
import { findToolCall } from '../../db/transcript.ts';
import { DEMO_RUN_EVENTS } from '../helpers/demo-events.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

// Seed 003's run views (timeline, raw events) and seed 001's activity periods, on real runs.
describe('run views', () => {
  let stack: TestStack;
  let demo: string;
  let run: Record<string, any>;
  const interrupted = new Set<string>();

  beforeAll(async () => {
    stack = await startTestStack({
      activities: (standard) => ({
        ...standard,
        // The first attempt of a tool call on FLAKY input starts the tool, then loses its connection.
        async runTool(call) {
          const row = (await findToolCall(stack.database.db, call.callId))!;
          if (JSON.stringify(row.input).includes('FLAKY') && !interrupted.has(row.id)) {
            interrupted.add(row.id);
            await runEventWriter(
              stack.database.db,
              call,
              call.eventId,
            )('tool.call_started', { callId: row.id, step: row.step, tool: row.tool, input: row.input });
            throw new Error('connection reset');
          }
          return standard.runTool(call);
        },
      }),
    });
    demo = await stack.createExecution({ projectId: 'rv-demo', prompt: 'Summarise the README', planMode: 'never' });
    run = (await stack.waitForStatus(demo, 'completed', 'failed')).runs[0];
  });
  afterAll(() => stack?.close());

  const json = async (path: string) => {
    const response = await stack.api(path);
    expect(response.status, `${path}: ${response.status}`).toBe(200);
    return response.json();
  };
  const timeline = async (runId: string) => (await json(`/v1/runs/${runId}/timeline`)).steps as any[];
  const runEvents = async (executionId: string, runId: string) => (await stack.events(executionId)).filter((e) => e.runId === runId);

  it('shows a demo run as ordered steps: thinking, paired tool calls, done with the summary', async () => {
    expect(run.status).toBe('completed');
    const body = await json(`/v1/runs/${run.id}/timeline`);
    expect(body.runId).toBe(run.id);
    const steps: any[] = body.steps;
    const toolRound = ['thinking', 'model_step', 'tool_call'];
    expect(steps.map((s) => s.kind)).toEqual([
      'status',
      'prepared',
      'run_started',
      ...toolRound,
      ...toolRound,
      ...toolRound,
      'thinking',
      'text',
      'model_step',
      'done',
    ]);

    const events = await runEvents(demo, run.id);
    const tools = steps.filter((s) => s.kind === 'tool_call');
    expect(tools.map((s) => s.tool)).toEqual(['list_files', 'write_file', 'run_command']);
    for (const tool of tools) {
      const started = events.find((e) => e.type === 'tool.call_started' && e.payload.callId === tool.callId);
      const completed = events.find((e) => e.type === 'tool.call_completed' && e.payload.callId === tool.callId);
      expect(tool.request).toEqual({ input: started.payload.input });
      expect(tool.response).toMatchObject({ output: completed.payload.output, isError: false });
      expect([tool.startedAt, tool.endedAt]).toEqual([started.occurredAt, completed.occurredAt]);
    }
    const reasoning = events.filter((e) => e.type === 'model.reasoning_delta' && e.payload.step === 2).map((e) => e.payload.text);
    expect(steps.find((s) => s.kind === 'thinking' && s.step === 2).text).toBe(reasoning.join(''));
    expect(steps.find((s) => s.kind === 'text').text.trim()).toBe(run.summary);
    expect(steps.at(-1)).toMatchObject({ kind: 'done', status: 'completed', summary: run.summary, error: null, endedAt: run.endedAt });

    let previousStart = 0;
    for (const step of steps) {
      const [start, end] = [Date.parse(step.startedAt), Date.parse(step.endedAt)];
      expect(step.durationMs).toBe(end - start);
      expect(step.durationMs).toBeGreaterThanOrEqual(0);
      expect(start).toBeGreaterThanOrEqual(previousStart);
      expect(step.attempt).toBe(1);
      previousStart = start;
    }
  });

  it('shows plan decisions: proposed with its text, revision with the feedback, approved by whom', async () => {
    const id = await stack.createExecution({ projectId: 'rv-plan', prompt: 'Plan the notes', planMode: 'always' });
    await stack.waitForStatus(id, 'awaiting_approval');
    expect((await stack.post(`/v1/executions/${id}/plan/revise`, { feedback: 'Mention the tests' })).status).toBe(200);
    await stack.waitForExecution(id, 'plan version 2', (body) => body.plan?.version === 2);
    expect((await stack.post(`/v1/executions/${id}/plan/approve`)).status).toBe(200);
    const done = await stack.waitForStatus(id, 'completed', 'failed');

    const steps = await timeline(done.runs[0].id);
    const plans = steps.filter((s) => s.kind === 'plan');
    expect(plans.map((s) => [s.decision, s.version])).toEqual([
      ['proposed', 1],
      ['revision_requested', 1],
      ['proposed', 2],
      ['approved', 2],
    ]);
    expect(plans[0].text).toContain('Plan the notes');
    expect(plans[2].text).toContain('Mention the tests');
    expect(plans[1]).toMatchObject({ feedback: 'Mention the tests', actor: { kind: 'user', id: stack.ownerId } });
    expect(steps.indexOf(plans[3])).toBeLessThan(steps.findIndex((s) => s.kind === 'tool_call'));
  });

  it('shows a tool call retried by its activity as one step, with the attempt it completed in', async () => {
    const id = await stack.createExecution({ projectId: 'rv-flaky', prompt: 'FLAKY notes', planMode: 'never' });
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.status).toBe('completed');
    const starts = (await runEvents(id, done.runs[0].id)).filter((e) => e.type === 'tool.call_started' && e.payload.tool === 'write_file');
    expect(starts.map((e) => e.payload.activityAttempt)).toEqual([1, 2]);

    const steps = await timeline(done.runs[0].id);
    expect(steps.filter((s) => s.kind === 'tool_call').map((s) => [s.tool, s.activityAttempt])).toEqual([
      ['list_files', 1],
      ['write_file', 2],
      ['run_command', 1],
    ]);
    const write = steps.find((s) => s.callId === starts[0].payload.callId);
    expect(write).toMatchObject({ attempt: 1, request: { input: { path: 'NOTES.md' } }, response: { isError: false } });
    // It spans both attempts: from the first start, through the retry's 1 s backoff.
    expect(write.startedAt).toBe(starts[0].occurredAt);
    expect(write.durationMs).toBeGreaterThanOrEqual(1000);
  });

  it('pages through a run’s raw events in snake_case, by uuid or number, and exports them as NDJSON', async () => {
    const expected = (await runEvents(demo, run.id)).map(snakeCase);
    expect(expected.map((e) => e.type)).toEqual(DEMO_RUN_EVENTS);

    const items: any[] = [];
    let pages = 0;
    for (let cursor: string | null = ''; cursor !== null; pages++) {
      const page: any = await json(`/v1/runs/${run.id}/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(3);
      items.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(items).toEqual(expected);
    expect(pages).toBe(Math.floor(expected.length / 3) + 1);
    expect(Object.keys(items[0])).toEqual(RAW_FIELDS);
    expect((await json(`/v1/runs/${run.number}/events?limit=500`)).items).toEqual(expected);

    const response = await stack.api(`/v1/runs/${run.number}/events?format=ndjson`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="run-${run.number}-events.ndjson"`);
    const lines = (await response.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line))).toEqual(expected);
  });

  it('refuses bad queries with 400 and hides other owners’ runs and executions with 404', async () => {
    for (const query of ['cursor=abc', 'limit=0', 'limit=501', 'format=xml', 'since=1', 'format=ndjson&limit=5']) {
      const response = await stack.api(`/v1/runs/${run.id}/events?${query}`);
      expect(response.status, query).toBe(400);
      expect((await response.json()).error.code).toBe('invalid_request');
    }
    const other = (await stack.tokenFor(`owner-${randomUUID()}`)).token;
    const paths = [`/v1/runs/${run.id}/timeline`, `/v1/runs/${run.number}/events`, `/v1/executions/${demo}/activity`];
    for (const path of paths) {
      expect((await stack.api(path, { headers: { authorization: `Bearer ${other}` } })).status, path).toBe(404);
      expect((await stack.api(path)).status, path).toBe(200);
    }
    expect((await stack.api(`/v1/runs/${randomUUID()}/timeline`)).status).toBe(404);
    expect((await stack.api('/v1/runs/not-a-run/events')).status).toBe(404);
  });

  it('splits an execution’s time into active and waiting periods: queued, running, awaiting approval', async () => {
    const project = `rv-queue-${randomUUID()}`;
    const holder = await stack.createExecution({ projectId: project, prompt: 'hold the slot', planMode: 'always' });
    await stack.waitForStatus(holder, 'awaiting_approval');
    const waiting = await stack.createExecution({ projectId: project, prompt: 'wait in line', planMode: 'never' });
    await stack.waitForStatus(waiting, 'queued');

    // While the plan waits, its period is open.
    const open = await json(`/v1/executions/${holder}/activity`);
    expect(open.periods.at(-1)).toMatchObject({ state: 'waiting', status: 'awaiting_approval', endedAt: null });
    expect(open.waitingMs).toBe(open.periods.at(-1).durationMs);

    await sleep(1000);
    expect((await stack.post(`/v1/executions/${holder}/plan/approve`)).status).toBe(200);
    await stack.waitForStatus(holder, 'completed');
    const done = await stack.waitForStatus(waiting, 'completed');

    const held = await json(`/v1/executions/${holder}/activity`);
    expect(held.periods.map((p: any) => [p.state, p.status])).toEqual([
      ['active', 'pending'],
      ['active', 'running'],
      ['waiting', 'awaiting_approval'],
      ['active', 'running'],
    ]);
    const activity = await json(`/v1/executions/${waiting}/activity`);
    const periods: any[] = activity.periods;
    expect(periods.map((p) => [p.state, p.status])).toEqual([
      ['active', 'pending'],
      ['waiting', 'queued'],
      ['active', 'running'],
    ]);
    expect(periods[1].durationMs).toBeGreaterThanOrEqual(1000);
    expect(periods.every((p) => p.runId === done.runs[0].id)).toBe(true);
    for (const [i, p] of periods.slice(1).entries()) expect(p.startedAt).toBe(periods[i].endedAt);
    expect(periods.at(-1).endedAt).toBe(done.runs[0].endedAt);
    for (const p of periods) expect(p.durationMs).toBe(Date.parse(p.endedAt) - Date.parse(p.startedAt));
    const sum = (state: string) => periods.filter((p) => p.state === state).reduce((total, p) => total + p.durationMs, 0);
    expect([activity.activeMs, activity.waitingMs]).toEqual([sum('active'), sum('waiting')]);
  });
});

const RAW_FIELDS = [
  'cursor',
  'event_id',
  'type',
  'version',
  'execution_id',
  'run_id',
  'run_number',
  'turn_number',
  'attempt',
  'actor',
  'occurred_at',
  'payload',
];

/** An event as GET /v1/executions/:id/events shows it, with its top-level names in snake_case. */
const snakeCase = (event: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(event).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
