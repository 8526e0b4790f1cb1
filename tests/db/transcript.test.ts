import { randomUUID } from 'node:crypto';
import type { ModelMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../db/client.ts';
import { appendEvent } from '../../db/events.ts';
import { loadPrompt, saveStep } from '../../db/transcript.ts';
import { openFreshDatabase } from '../helpers/databases.ts';

describe("a model step's prompt", () => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;
  const executionId = randomUUID();
  const runId = randomUUID();
  const at = () => new Date().toISOString();
  const assistantCall = (callId: string): ModelMessage => ({
    role: 'assistant',
    content: [{ type: 'tool-call', toolCallId: callId, toolName: 'list_files', input: { pattern: '*' } }],
  });
  const call = (step: number, providerCallId: string) => ({
    id: randomUUID(),
    executionId,
    runId,
    step,
    position: 0,
    providerCallId,
    tool: 'list_files',
    input: { pattern: '*' },
    status: 'completed',
    output: `files of step ${step}`,
    isError: false,
  });

  beforeAll(async () => {
    ({ handle, dispose } = await openFreshDatabase('pglite'));
    const payload = { projectId: 'p', ownerId: 'o', prompt: 'List the files', planMode: 'never' };
    await appendEvent(handle.db, { eventId: randomUUID(), type: 'execution.created', executionId, occurredAt: at(), payload });
    await appendEvent(handle.db, {
      eventId: randomUUID(),
      type: 'run.created',
      executionId,
      runId,
      turnNumber: 1,
      attempt: 1,
      occurredAt: at(),
      payload: { index: 1, trigger: 'create' },
    });
    await saveStep(handle.db, runId, 1, assistantCall('c1'), [call(1, 'c1')]);
    // What an attempt of step 2 stored before its worker died, leaving the step to be run again.
    await saveStep(handle.db, runId, 2, assistantCall('c2'), [call(2, 'c2')]);
  });
  afterAll(() => dispose?.());

  it('holds the steps before it, not what an earlier attempt of the same step stored', async () => {
    const prompt = await loadPrompt(handle.db, { executionId, runId, turnNumber: 1, step: 2 });
    expect(prompt.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(JSON.stringify(prompt.messages)).toContain('files of step 1');
    expect(JSON.stringify(prompt.messages)).not.toContain('files of step 2');
  });
});

// A model step whose attempt timed out (a late heartbeat) may still be saving while its retry saves
// the same step: on Postgres, both must succeed, leaving one step's message and calls.
describe('two attempts saving the same model step at once', () => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ handle, dispose } = await openFreshDatabase('postgres'));
  });
  afterAll(() => dispose?.());

  it('both succeed, and the step keeps one message and one set of calls', async () => {
    const executionId = randomUUID();
    const runId = randomUUID();
    const at = () => new Date().toISOString();
    const payload = { projectId: 'p', ownerId: 'o', prompt: 'List the files', planMode: 'never' };
    await appendEvent(handle.db, { eventId: randomUUID(), type: 'execution.created', executionId, occurredAt: at(), payload });
    const created = { eventId: randomUUID(), type: 'run.created', executionId, runId, turnNumber: 1, attempt: 1, occurredAt: at() };
    await appendEvent(handle.db, { ...created, payload: { index: 1, trigger: 'initial' } });
    const callId = randomUUID();
    const message: ModelMessage = { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'p1', toolName: 'list_files', input: {} }] };
    const calls = [{ id: callId, executionId, runId, step: 1, position: 0, providerCallId: 'p1', tool: 'list_files', input: {}, status: 'pending' }];
    for (let round = 0; round < 5; round++) {
      await Promise.all([saveStep(handle.db, runId, 1, message, calls), saveStep(handle.db, runId, 1, message, calls)]);
    }
    const prompt = await loadPrompt(handle.db, { runId, executionId, turnNumber: 1, step: 2 });
    expect(prompt.messages.filter((m) => m.role === 'assistant')).toHaveLength(1);
  });
});
