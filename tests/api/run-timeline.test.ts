import { describe, expect, it } from 'vitest';
import { runTimeline } from '../../api/run-timeline.ts';
import type { StoredEvent } from '../../common/events.ts';

// The cases a demo run does not produce: retried model steps, interleaved deltas, unfinished tools.
describe('runTimeline', () => {
  const t0 = Date.parse('2030-01-01T00:00:00.000Z');
  let cursor = 0;
  const event = (type: string, atMs: number, payload: Record<string, unknown> = {}): StoredEvent => ({
    cursor: String(++cursor),
    eventId: `e${cursor}`,
    type,
    version: 1,
    executionId: 'x',
    runId: 'r',
    runNumber: 7,
    turnNumber: 1,
    attempt: 2,
    actor: null,
    occurredAt: new Date(t0 + atMs).toISOString(),
    payload,
  });
  const at = (ms: number) => new Date(t0 + ms).toISOString();

  it('merges consecutive deltas of one step and attempt, and keeps a retried model step’s attempts apart', () => {
    const steps = runTimeline([
      event('run.started', 0),
      event('model.reasoning_delta', 100, { step: 1, text: 'Let me ', activityAttempt: 1 }),
      event('model.reasoning_delta', 200, { step: 1, text: 'think', activityAttempt: 1 }),
      event('model.reasoning_delta', 1500, { step: 1, text: 'Again', activityAttempt: 2 }),
      event('model.text_delta', 1600, { step: 1, text: 'Hello ', activityAttempt: 2 }),
      event('model.text_delta', 1700, { step: 1, text: 'world', activityAttempt: 2 }),
      event('model.reasoning_delta', 1800, { step: 1, text: 'more', activityAttempt: 2 }),
    ]);
    expect(steps.map((s) => [s.kind, s.text, s.activityAttempt, s.startedAt, s.endedAt, s.durationMs])).toEqual([
      ['run_started', undefined, null, at(0), at(0), 0],
      ['thinking', 'Let me think', 1, at(0), at(200), 200],
      ['thinking', 'Again', 2, at(200), at(1500), 1300],
      ['text', 'Hello world', 2, at(1500), at(1700), 200],
      ['thinking', 'more', 2, at(1700), at(1800), 100],
    ]);
    expect(steps.every((s) => s.attempt === 2)).toBe(true);
  });

  it('ends an unfinished tool call with its run, or leaves it open with its duration so far', () => {
    const started = event('tool.call_started', 1000, { callId: 'c1', tool: 'run_command', input: { command: 'sleep 9' }, activityAttempt: 1 });
    const open = runTimeline([event('run.started', 0), started], t0 + 4000);
    expect(open.at(-1)).toMatchObject({
      kind: 'tool_call',
      endedAt: null,
      durationMs: 3000,
      response: null,
      request: { input: { command: 'sleep 9' } },
    });

    const stopped = runTimeline([event('run.started', 0), started, event('run.cancelled', 2500, { reason: 'user' })], t0 + 4000);
    expect(stopped.map((s) => s.kind)).toEqual(['run_started', 'tool_call', 'done']);
    expect(stopped[1]).toMatchObject({ endedAt: at(2500), durationMs: 1500 });
    expect(stopped[2]).toMatchObject({ status: 'cancelled', reason: 'user', summary: null });
  });

  it('keeps a type it does not know as a generic step rather than dropping it', () => {
    const [step] = runTimeline([event('run.something_new', 0, { detail: 1 })]);
    expect(step).toMatchObject({ kind: 'event', title: 'run.something_new', type: 'run.something_new', payload: { detail: 1 } });
  });
});
