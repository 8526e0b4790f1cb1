import { Context } from '@temporalio/activity';
import type { Actor } from '../common/events.ts';
import { uuidFromName } from '../common/ids.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import type { ModelChoice } from '../workflows/definitions.ts';

/** Which run an activity works for. */
export interface RunIds {
  executionId: string;
  runId: string;
  turnNumber: number;
  attempt: number;
}

/** What the workflow passes to every agent activity: the run, its agent and model, and an id to derive event ids from. */
export interface AgentCall extends RunIds {
  agentId: string;
  model: ModelChoice;
  eventId: string;
}

export type WriteRunEvent = (type: string, payload: Record<string, unknown>) => Promise<void>;

/**
 * Writes an activity's events with ids derived from the workflow's `seed` and the activity attempt:
 * a replayed write is a no-op, and a retried attempt writes its own events, marked with
 * `activityAttempt`, after those of the attempt that failed.
 */
export function runEventWriter(db: Database, ids: RunIds, seed: string, actor: Actor = SYSTEM): WriteRunEvent {
  const activityAttempt = Context.current().info.attempt;
  let sequence = 0;
  return (type, payload) =>
    recordRunEvent(db, ids, uuidFromName(`${seed}:${activityAttempt}:${sequence++}`), type, { ...payload, activityAttempt }, actor);
}

/** Appends one event of a run (idempotent by `eventId`), taking only the run's ids from `ids`. */
export async function recordRunEvent(
  db: Database,
  ids: RunIds,
  eventId: string,
  type: string,
  payload: Record<string, unknown>,
  actor: Actor = SYSTEM,
) {
  const { executionId, runId, turnNumber, attempt } = ids;
  await appendEvent(db, { eventId, type, executionId, runId, turnNumber, attempt, actor, occurredAt: new Date().toISOString(), payload });
}

const SYSTEM: Actor = { kind: 'system', id: 'agent-runs' };

/**
 * Streams text into events in batches: one event per ~100 ms or per `maxChars` characters, so a
 * client sees text as it comes without an event per token.
 */
export function textBatcher(write: (text: string) => Promise<void>, { intervalMs = 100, maxChars = 400 } = {}) {
  let buffer = '';
  let since = 0;
  const flush = async () => {
    if (!buffer) return;
    const text = buffer;
    buffer = '';
    await write(text);
  };
  return {
    async add(delta: string) {
      if (!buffer) since = Date.now();
      buffer += delta;
      if (buffer.length >= maxChars || Date.now() - since >= intervalMs) await flush();
    },
    flush,
  };
}
