import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../common/events.ts';
import type { DatabaseHandle } from '../../db/client.ts';
import { appendEvent, listExecutionEvents } from '../../db/events.ts';
import { findExecution } from '../../db/executions.ts';
import { DRIVERS, openFreshDatabase } from '../helpers/databases.ts';

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
});
