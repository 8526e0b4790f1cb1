import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../common/events.ts';
import type { DatabaseHandle } from '../../db/client.ts';
import { openDatabase } from '../../db/client.ts';
import { appendEvent, EVENTS_CHANNEL, listExecutionEvents } from '../../db/events.ts';
import { findExecution } from '../../db/executions.ts';
import { DRIVERS, openFreshDatabase } from '../helpers/databases.ts';
import { waitFor } from '../helpers/wait-for.ts';

const now = () => new Date().toISOString();

function createdEvent(executionId: string): NewEvent {
  return {
    eventId: randomUUID(),
    type: 'execution.created',
    executionId,
    occurredAt: now(),
    payload: { projectId: 'p', ownerId: 'o', prompt: 'do it', planMode: 'always' },
  };
}

function runEvent(executionId: string, runId: string, type: string, payload: Record<string, unknown> = {}): NewEvent {
  return { eventId: randomUUID(), type, executionId, runId, turnNumber: 1, attempt: 1, occurredAt: now(), payload };
}

describe.each(DRIVERS)('the event log on %s', (driver) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ handle, dispose } = await openFreshDatabase(driver));
  });
  afterAll(() => dispose?.());

  it('stores an event once, however often it is written', async () => {
    const executionId = randomUUID();
    const event = createdEvent(executionId);
    const first = await appendEvent(handle.db, event);
    const again = await appendEvent(handle.db, event);
    const concurrently = await Promise.all([appendEvent(handle.db, event), appendEvent(handle.db, event)]);
    expect([again, ...concurrently]).toEqual([first, first, first]);
    expect(await listExecutionEvents(handle.db, executionId, { limit: 10 })).toHaveLength(1);
  });

  it('stores an event once when two writers race to write it first', async () => {
    const executionId = randomUUID();
    const event = createdEvent(executionId);
    const results = await Promise.all(Array.from({ length: 4 }, () => appendEvent(handle.db, event)));
    expect(new Set(results.map((r) => r.cursor)).size).toBe(1);
    expect(await listExecutionEvents(handle.db, executionId, { limit: 10 })).toHaveLength(1);
  });

  it('applies projections once: a repeated run.created keeps one run and its number', async () => {
    const executionId = randomUUID();
    const runId = randomUUID();
    await appendEvent(handle.db, createdEvent(executionId));
    const created = runEvent(executionId, runId, 'run.created', { index: 1, trigger: 'initial' });
    const first = await appendEvent(handle.db, created);
    const second = await appendEvent(handle.db, created);
    expect(second.runNumber).toBe(first.runNumber);
    const found = await findExecution(handle.db, executionId);
    expect(found?.runs).toHaveLength(1);
    expect(found?.execution.status).toBe('pending');
    expect(found?.execution.currentRunId).toBe(runId);
  });

  it('moves the run and the execution to the outcome of a run event', async () => {
    const executionId = randomUUID();
    const runId = randomUUID();
    await appendEvent(handle.db, createdEvent(executionId));
    expect((await findExecution(handle.db, executionId))?.execution.status).toBe('pending');
    await appendEvent(handle.db, runEvent(executionId, runId, 'run.created', { index: 1, trigger: 'initial' }));
    await appendEvent(handle.db, runEvent(executionId, runId, 'run.started', { index: 1, trigger: 'initial' }));
    expect((await findExecution(handle.db, executionId))?.execution.status).toBe('running');
    const error = { type: 'boom', message: 'it broke' };
    const failed = await appendEvent(handle.db, runEvent(executionId, runId, 'run.failed', { error }));
    const found = await findExecution(handle.db, executionId);
    expect(found?.execution.status).toBe('failed');
    expect(found?.runs[0]).toMatchObject({ status: 'failed', error });
    expect(found?.runs[0]?.endedAt).toBeInstanceOf(Date);
    expect(failed.runNumber).toBe(found?.runs[0]?.number);
  });

  it('keeps the first terminal event of a run: a later or racing one (a stop and a completion) is not stored', async () => {
    const executionId = randomUUID();
    const runId = randomUUID();
    await appendEvent(handle.db, createdEvent(executionId));
    await appendEvent(handle.db, runEvent(executionId, runId, 'run.created', { index: 1, trigger: 'initial' }));
    const [a, b] = await Promise.all([
      appendEvent(handle.db, runEvent(executionId, runId, 'run.completed', { summary: 'done' })),
      appendEvent(handle.db, runEvent(executionId, runId, 'run.cancelled', { reason: 'stopped' })),
    ]);
    expect(a.eventId).toBe(b.eventId);
    const late = await appendEvent(handle.db, runEvent(executionId, runId, 'run.failed', { error: { type: 'x', message: 'late' } }));
    expect(late.eventId).toBe(a.eventId);
    const terminal = (await listExecutionEvents(handle.db, executionId, { limit: 10 })).filter((e) =>
      ['run.completed', 'run.cancelled', 'run.failed'].includes(e.type),
    );
    expect(terminal).toHaveLength(1);
    const found = await findExecution(handle.db, executionId);
    expect(found?.runs[0]?.status).toBe(terminal[0]!.type.slice('run.'.length));
  });

  it('numbers runs from one global sequence across executions', async () => {
    const numbers: number[] = [];
    for (let i = 0; i < 3; i++) {
      const executionId = randomUUID();
      await appendEvent(handle.db, createdEvent(executionId));
      const stored = await appendEvent(handle.db, runEvent(executionId, randomUUID(), 'run.created', { index: 1, trigger: 'initial' }));
      numbers.push(stored.runNumber!);
    }
    expect(numbers[1]).toBe(numbers[0]! + 1);
    expect(numbers[2]).toBe(numbers[1]! + 1);
  });

  it("pages an execution's events in cursor order after a cursor", async () => {
    const executionId = randomUUID();
    const runId = randomUUID();
    await appendEvent(handle.db, createdEvent(executionId));
    await appendEvent(handle.db, runEvent(executionId, runId, 'run.created', { index: 1, trigger: 'initial' }));
    await appendEvent(handle.db, runEvent(executionId, runId, 'run.completed', { summary: 'done' }));
    const all = await listExecutionEvents(handle.db, executionId, { limit: 10 });
    expect(all.map((e) => e.type)).toEqual(['execution.created', 'run.created', 'run.completed']);
    const rest = await listExecutionEvents(handle.db, executionId, { afterCursor: Number(all[0]!.cursor), limit: 10 });
    expect(rest.map((e) => e.cursor)).toEqual(all.slice(1).map((e) => e.cursor));
    expect(await listExecutionEvents(handle.db, executionId, { limit: 2 })).toHaveLength(2);
  });

  it('writes appends made at once together (group commit), in the order they were made, one NOTIFY per batch', async () => {
    const executionId = randomUUID();
    const runId = randomUUID();
    await appendEvent(handle.db, createdEvent(executionId));
    await appendEvent(handle.db, runEvent(executionId, runId, 'run.created', { index: 1, trigger: 'initial' }));
    const notified: number[] = [];
    let listening!: () => void;
    const ready = new Promise<void>((resolve) => {
      listening = resolve;
    });
    const unlisten = await handle.listen(
      EVENTS_CHANNEL,
      (payload) => notified.push(Number(payload)),
      () => listening(),
    );
    await ready;

    const appends = Array.from({ length: 40 }, (_, i) => runEvent(executionId, runId, 'model.text_delta', { step: 1, text: `part ${i}` }));
    const stored = await Promise.all(appends.map((event) => appendEvent(handle.db, event)));
    const cursors = stored.map((e) => Number(e.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(stored.map((e) => e.payload.text)).toEqual(appends.map((e) => e.payload!.text));
    expect(new Set(stored.map((e) => e.runNumber)).size).toBe(1);

    await waitFor('the last batch to be announced', async () => (notified.includes(cursors.at(-1)!) ? true : undefined));
    await unlisten();
    // Written in batches: fewer commits (and notifications) than events, the last naming the newest cursor.
    const mine = notified.filter((cursor) => cursor >= cursors[0]!);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(appends.length / 2);
  });

  it("adds up a run's counters written together: steps, tokens, cost, unpriced steps and tool calls, over two runs", async () => {
    const executionId = randomUUID();
    const runIds = [randomUUID(), randomUUID()];
    await appendEvent(handle.db, createdEvent(executionId));
    for (const [i, runId] of runIds.entries())
      await appendEvent(handle.db, runEvent(executionId, runId, 'run.created', { index: i + 1, trigger: 'initial' }));
    const usage = (costUsd: number | null) => ({ inputTokens: 10, outputTokens: 5, cachedInputTokens: 2, reasoningTokens: 1, costUsd });
    const appends = runIds.flatMap((runId) => [
      ...Array.from({ length: 6 }, (_, i) =>
        runEvent(executionId, runId, 'model.step_completed', { step: i + 1, usage: usage(i === 5 ? null : 0.25) }),
      ),
      ...Array.from({ length: 4 }, () => runEvent(executionId, runId, 'tool.call_completed', { callId: randomUUID() })),
    ]);
    await Promise.all(appends.map((event) => appendEvent(handle.db, event)));
    const found = await findExecution(handle.db, executionId);
    for (const run of found!.runs) {
      expect(run).toMatchObject({
        modelSteps: 6,
        toolCalls: 4,
        inputTokens: 60,
        outputTokens: 30,
        cachedInputTokens: 12,
        reasoningTokens: 6,
        unpricedSteps: 1,
      });
      expect(run.costUsd).toBeCloseTo(1.25);
    }
    expect(found!.runs).toHaveLength(2);
  });

  it('counts a repeated model step once (a retried activity writes it again): alone, among new events, and twice in one batch', async () => {
    const executionId = randomUUID();
    const runId = randomUUID();
    await appendEvent(handle.db, createdEvent(executionId));
    await appendEvent(handle.db, runEvent(executionId, runId, 'run.created', { index: 1, trigger: 'initial' }));
    const usage = { inputTokens: 7, outputTokens: 3, cachedInputTokens: 0, reasoningTokens: 0, costUsd: 0.5 };
    const step = runEvent(executionId, runId, 'model.step_completed', { step: 1, usage });
    const call = runEvent(executionId, runId, 'tool.call_completed', { callId: randomUUID() });
    const first = await appendEvent(handle.db, step);
    expect(await appendEvent(handle.db, step)).toEqual(first);
    const fresh = Array.from({ length: 5 }, (_, i) => runEvent(executionId, runId, 'model.text_delta', { step: 1, text: `t${i}` }));
    const stored = await Promise.all([step, ...fresh, call, step, call].map((event) => appendEvent(handle.db, event)));
    expect(stored[0]).toEqual(first);
    expect(stored[stored.length - 1]).toEqual(stored[6]);
    const [run] = (await findExecution(handle.db, executionId))!.runs;
    expect(run).toMatchObject({ modelSteps: 1, toolCalls: 1, inputTokens: 7, outputTokens: 3, unpricedSteps: 0 });
    expect(run!.costUsd).toBeCloseTo(0.5);
    expect(await listExecutionEvents(handle.db, executionId, { limit: 20 })).toHaveLength(2 + 1 + 5 + 1);
  });

  it('stores a payload nested too deeply to serialise as a note, and the append succeeds', async () => {
    const executionId = randomUUID();
    const runId = randomUUID();
    await appendEvent(handle.db, createdEvent(executionId));
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const stored = await appendEvent(handle.db, runEvent(executionId, runId, 'tool.call_started', { input: deep } as Record<string, unknown>));
    expect(stored.payload).toBe('[a value nested too deeply to be stored]');
    const listed = await listExecutionEvents(handle.db, executionId, { limit: 10 });
    expect(listed.at(-1)!.payload).toBe('[a value nested too deeply to be stored]');
  });

  it('fails only the append the database refuses when it is written with others', async () => {
    const executionId = randomUUID();
    await appendEvent(handle.db, createdEvent(executionId));
    const good = Array.from({ length: 10 }, (_, i) => ({ ...createdEvent(executionId), type: 'bench.tick', payload: { i } }));
    const bad = { ...createdEvent(executionId), type: 'bench.tick', executionId: 'not-a-uuid' };
    const results = await Promise.allSettled([...good.slice(0, 5), bad, ...good.slice(5)].map((event) => appendEvent(handle.db, event)));
    expect(results.map((r) => r.status)).toEqual([...Array(5).fill('fulfilled'), 'rejected', ...Array(5).fill('fulfilled')]);
    const listed = await listExecutionEvents(handle.db, executionId, { limit: 20 });
    expect(listed.filter((e) => e.type === 'bench.tick').map((e) => e.payload.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('the event log written by two processes', () => {
  it('stores an event once when writers of two database handles race to write it', async () => {
    const { handle, dispose } = await openFreshDatabase('postgres');
    const other = await openDatabase({ databaseUrl: (handle as { url: string }).url });
    try {
      for (let round = 0; round < 5; round++) {
        const executionId = randomUUID();
        const event = createdEvent(executionId);
        const results = await Promise.all([appendEvent(handle.db, event), appendEvent(other.db, event), appendEvent(handle.db, event)]);
        expect(new Set(results.map((r) => r.cursor)).size).toBe(1);
        expect(await listExecutionEvents(handle.db, executionId, { limit: 10 })).toHaveLength(1);
      }
    } finally {
      await other.close();
      await dispose();
    }
  });
});
