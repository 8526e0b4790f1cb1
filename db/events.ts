import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Actor, NewEvent, StoredEvent } from '../common/events.ts';
import { isTerminal, type Status } from '../common/statuses.ts';
import type { Database } from './client.ts';
import { applyProjection, type Transaction } from './projections.ts';
import { events, runs } from './schema.ts';

/** The NOTIFY channel that announces each committed event; the payload is its cursor. */
export const EVENTS_CHANNEL = 'agent_runs_events';

/**
 * Appends an event and updates the projections it changes, in one transaction. Idempotent: an
 * event whose `eventId` is already stored changes nothing and the stored row is returned.
 */
export async function appendEvent(db: Database, event: NewEvent): Promise<StoredEvent> {
  try {
    return await insertEvent(db, event);
  } catch (err) {
    // Two writers raced (the API and the workflow both write execution.created): the loser's
    // transaction rolled back whole, and the winner's row is the answer.
    if (!isDuplicateEventId(err)) throw err;
    const [existing] = await db.select().from(events).where(eq(events.eventId, event.eventId));
    return toStoredEvent(existing!);
  }
}

function insertEvent(db: Database, event: NewEvent): Promise<StoredEvent> {
  return db.transaction(async (tx) => {
    const [existing] = await tx.select().from(events).where(eq(events.eventId, event.eventId));
    if (existing) return toStoredEvent(existing);
    const ended = await runEndedAlready(tx, event);
    if (ended) return toStoredEvent(ended);

    const runNumber = await applyProjection(tx, event);
    // Serialise inserts so cursors are handed out in commit order: a reader that has seen cursor N
    // will never later find a committed event with a smaller cursor (streams rely on this).
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('agent-runs:events'))`);
    const [row] = await tx
      .insert(events)
      .values({
        eventId: event.eventId,
        type: event.type,
        version: event.version ?? 1,
        executionId: event.executionId,
        runId: event.runId ?? null,
        runNumber,
        turnNumber: event.turnNumber ?? null,
        attempt: event.attempt ?? null,
        actor: event.actor ?? null,
        occurredAt: new Date(event.occurredAt),
        payload: event.payload ?? {},
      })
      .returning();
    // Delivered at commit: every API process's event feed then reads the new rows (db/../api/streams).
    await tx.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${String(row!.cursor)})`);
    return toStoredEvent(row!);
  });
}

/**
 * A run ends once: when a second terminal event comes for a run that has ended (two writers raced, say
 * a stop and a completion), the first one stands and is returned; the second is not stored. The run's
 * row is locked, so two such writers take turns.
 */
async function runEndedAlready(tx: Transaction, event: NewEvent): Promise<typeof events.$inferSelect | undefined> {
  if (!event.runId || !RUN_ENDED_TYPES.includes(event.type)) return undefined;
  const [run] = await tx.select({ status: runs.status }).from(runs).where(eq(runs.id, event.runId)).for('update');
  if (!run || !isTerminal(run.status as Status)) return undefined;
  const [first] = await tx
    .select()
    .from(events)
    .where(and(eq(events.runId, event.runId), inArray(events.type, RUN_ENDED_TYPES)))
    .orderBy(asc(events.cursor))
    .limit(1);
  return first;
}

const RUN_ENDED_TYPES = ['run.completed', 'run.failed', 'run.cancelled'];

/** A unique violation on events.event_id, as postgres-js or PGlite report it (drizzle wraps it in `cause`). */
function isDuplicateEventId(err: unknown): boolean {
  for (let e = err as { code?: string; constraint_name?: string; constraint?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === '23505' && (e.constraint_name ?? e.constraint) === 'events_event_id_key') return true;
  }
  return false;
}

/** One page of an execution's events in cursor order, after `afterCursor` (exclusive). */
export async function listExecutionEvents(
  db: Database,
  executionId: string,
  options: { afterCursor?: number; limit: number },
): Promise<StoredEvent[]> {
  const rows = await db
    .select()
    .from(events)
    .where(and(eq(events.executionId, executionId), gt(events.cursor, options.afterCursor ?? 0)))
    .orderBy(asc(events.cursor))
    .limit(options.limit);
  return rows.map(toStoredEvent);
}

export function toStoredEvent(row: typeof events.$inferSelect): StoredEvent {
  return {
    cursor: String(row.cursor),
    eventId: row.eventId,
    type: row.type,
    version: row.version,
    executionId: row.executionId,
    runId: row.runId,
    runNumber: row.runNumber,
    turnNumber: row.turnNumber,
    attempt: row.attempt,
    actor: row.actor as Actor | null,
    occurredAt: row.occurredAt.toISOString(),
    payload: row.payload as Record<string, unknown>,
  };
}

/** The newest event's cursor, 0 when there is none. */
export async function latestCursor(db: Database): Promise<number> {
  const [row] = await db.select({ max: sql<string | null>`max(${events.cursor})` }).from(events);
  return Number(row?.max ?? 0);
}
