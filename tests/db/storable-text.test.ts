import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUnstorableText, nestingDepth, storableText, storableValue, unstorableProblem } from '../../common/storable-text.ts';
import type { DatabaseHandle } from '../../db/client.ts';
import { appendEvent, listExecutionEvents } from '../../db/events.ts';
import { runFiles, toolCalls } from '../../db/schema.ts';
import { DRIVERS, openFreshDatabase } from '../helpers/databases.ts';

const NUL = '\u0000';
const LONE = '\ud800';

describe('storable text', () => {
  it('names what Postgres cannot store, and replaces it visibly with U+FFFD', () => {
    expect(unstorableProblem('fine ✓ 😀')).toBeUndefined();
    expect(unstorableProblem(`a${NUL}b`)).toContain('NUL');
    expect(unstorableProblem(`a${LONE}b`)).toContain('surrogate');
    expect(unstorableProblem('\udc00')).toContain('surrogate');
    expect(storableText(`a${NUL}b${LONE}c😀`)).toBe('a\uFFFDb\uFFFDc😀');
    const clean = 'no change';
    expect(storableText(clean)).toBe(clean);
  });

  it('finds the first unstorable string in a nested value, keys included, without recursion', () => {
    expect(findUnstorableText({ a: 'x', b: [1, 'y', `z${NUL}`] })).toEqual({ path: 'b[2]', problem: expect.stringContaining('NUL') });
    expect(findUnstorableText({ target: { [`k${LONE}`]: 1 } })?.path).toBe(`target.k${LONE}`);
    expect(findUnstorableText({ a: ['ok'], b: { c: 1 } })).toBeUndefined();
    // 100,000 levels deep: a recursive walk would overflow the stack.
    let deep: unknown = `bottom${NUL}`;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableText(deep)?.problem).toContain('NUL');
  });

  it('measures nesting depth without recursion, stopping past a limit', () => {
    expect(nestingDepth('x')).toBe(0);
    expect(nestingDepth({ a: [1, { b: [] }] })).toBe(4);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nestingDepth(deep)).toBe(100_000);
    expect(nestingDepth(deep, 64)).toBe(65);
  });

  it('makes values storable, keys and strings, leaving clean values as they are', () => {
    const clean = { a: [1, 'two', { three: true }] };
    expect(storableValue(clean)).toBe(clean);
    expect(storableValue({ [`k${NUL}`]: [`v${LONE}`, 2] })).toEqual({ 'k\uFFFD': ['v\uFFFD', 2] });
  });
});

describe.each(DRIVERS)('writes of unstorable text on %s', (driver) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ handle, dispose } = await openFreshDatabase(driver));
  });
  afterAll(() => dispose?.());

  it('store events, tool output and diffs with U+FFFD where a NUL or lone surrogate was', async () => {
    const executionId = randomUUID();
    const runId = randomUUID();
    const at = new Date().toISOString();
    await appendEvent(handle.db, {
      eventId: randomUUID(),
      type: 'execution.created',
      executionId,
      occurredAt: at,
      payload: { projectId: 'p', ownerId: 'o', prompt: `hello${NUL}`, planMode: 'never' },
    });
    await appendEvent(handle.db, {
      eventId: randomUUID(),
      type: 'tool.call_completed',
      executionId,
      runId,
      occurredAt: at,
      actor: { kind: 'system', id: `model${LONE}` },
      payload: { output: `a${NUL}b`, [`key${LONE}`]: 1 },
    });
    const events = await listExecutionEvents(handle.db, executionId, { limit: 10 });
    expect(events[0]!.payload.prompt).toBe('hello\uFFFD');
    expect(events[1]!.payload).toMatchObject({ output: 'a\uFFFDb', 'key\uFFFD': 1 });
    expect(events[1]!.actor?.id).toBe('model\uFFFD');

    const callId = randomUUID();
    await handle.db.insert(toolCalls).values({
      id: callId,
      executionId,
      runId,
      step: 1,
      position: 0,
      providerCallId: 'c',
      tool: 'run_command',
      input: { command: `printf 'a${NUL}b'` },
      status: 'completed',
      output: `a${NUL}b`,
    });
    const [call] = await handle.db.select().from(toolCalls).where(eq(toolCalls.id, callId));
    expect(call).toMatchObject({ output: 'a\uFFFDb', input: { command: "printf 'a\uFFFDb'" } });

    await handle.db.insert(runFiles).values({ runId, path: `odd${NUL}name`, added: 1, removed: 0, diff: `+x${LONE}` });
    const [file] = await handle.db.select().from(runFiles).where(eq(runFiles.runId, runId));
    expect(file).toMatchObject({ path: 'odd\uFFFDname', diff: '+x\uFFFD' });
  });
});
