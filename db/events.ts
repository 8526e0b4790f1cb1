import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Actor, NewEvent, StoredEvent } from '../common/events.ts';
import { isTerminal, type Status } from '../common/statuses.ts';
import { storableText } from '../common/storable-text.ts';
import type { Database } from './client.ts';
import { type EventRow, type Inserted, insertEventRows } from './event-insert.ts';
import { applyProjection, knownRunNumber, PROJECTED_BY_COUNTERS_ONLY, rememberRunNumbers, type Transaction } from './projections.ts';
import { events, runs } from './schema.ts';

export { EVENTS_CHANNEL } from './event-insert.ts';

/**
 * Appends an event and updates the projections it changes, in one transaction. Idempotent: an
 * event whose `eventId` is already stored changes nothing and the stored row is returned.
 *
 * Group commit: appends that arrive while a write is in flight wait for it and are then written
 * together, in the order they arrived, in one commit (one advisory lock, one multi-row insert, one
 * NOTIFY; a batch of streamed events is a single statement, see insertStreamed). A lone append is
 * written at once. Should a batch fail as a whole
 * (a row the database refuses, a race with another process), each of its events is written on its
 * own, so one bad event fails only its own caller.
 */
export function appendEvent(db: Database, event: NewEvent): Promise<StoredEvent> {
  let writer = writers.get(db);
  if (!writer) {
    writer = new EventWriter(db);
    writers.set(db, writer);
  }
  return writer.append(event);
}

/** Events written in one transaction at most. */
const MAX_BATCH = 200;
const writers = new WeakMap<Database, EventWriter>();

interface PendingAppend {
  event: NewEvent;
  resolve: (stored: StoredEvent) => void;
  reject: (err: unknown) => void;
}

class EventWriter {
  private queue: PendingAppend[] = [];
  private writing = false;
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  append(event: NewEvent): Promise<StoredEvent> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        // A turn of the event loop first: appends made at the same moment (the callers of the batch
        // just written, many activities at once) join this batch instead of each starting one.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, MAX_BATCH);
        if (batch.length > 1) {
          try {
            const stored = await insertBatch(
              this.db,
              batch.map((p) => p.event),
            );
            for (const [k, pending] of batch.entries()) pending.resolve(stored[k]!);
            continue;
          } catch {
            // Written one by one below: only the event the database refuses fails.
          }
        }
        for (const pending of batch) await settle(pending, () => appendOne(this.db, pending.event));
      }
    } finally {
      this.writing = false;
    }
  }
}

async function settle(pending: PendingAppend, write: () => Promise<StoredEvent>): Promise<void> {
  try {
    pending.resolve(await write());
  } catch (err) {
    pending.reject(err);
  }
}

/** One event in its own transaction; a duplicate event id (another process won a race) returns the stored row. */
async function appendOne(db: Database, event: NewEvent): Promise<StoredEvent> {
  try {
    return (await insertBatch(db, [event]))[0]!;
  } catch (err) {
    // Two writers raced (the API and the workflow both write execution.created): the loser's
    // transaction rolled back whole, and the winner's row is the answer.
    if (!isDuplicateEventId(err)) throw err;
    const [existing] = await db.select().from(events).where(eq(events.eventId, event.eventId));
    return toStoredEvent(existing!);
  }
}

/** Writes `batch` in order; returns what is stored for each (the earlier row for a repeated id). */
async function insertBatch(db: Database, batch: NewEvent[]): Promise<StoredEvent[]> {
  const stored = batch.every((event) => event.runId && PROJECTED_BY_COUNTERS_ONLY.has(event.type))
    ? await insertStreamed(db, batch)
    : await insertProjected(db, batch);
  rememberRunNumbers(stored);
  return stored;
}

/**
 * The bulk of a run's events (streamed text, steps, tool calls) change no projection but their run's
 * counters, which the insert itself adds: such a batch is one statement, with no transaction around it.
 */
async function insertStreamed(db: Database, batch: NewEvent[]): Promise<StoredEvent[]> {
  const rows = batch.map((event) => toRow(event, knownRunNumber(event.runId!) ?? null));
  const inserted = await insertEventRows(db, rows, 'skip');
  // Ids stored before (a retried activity's events): the stored rows are the answer.
  const missing = batch.filter((event) => !inserted.has(event.eventId.toLowerCase())).map((event) => event.eventId);
  const earlier = new Map<string, StoredEvent>();
  if (missing.length > 0)
    for (const row of await db.select().from(events).where(inArray(events.eventId, missing))) earlier.set(row.eventId, toStoredEvent(row));
  // An id given twice in the batch: both get what the first one stored.
  const first = new Map<string, StoredEvent>();
  return batch.map((event, i) => {
    const id = event.eventId.toLowerCase();
    const stored = earlier.get(id) ?? first.get(id) ?? fromRow(rows[i]!, inserted.get(id)!);
    first.set(id, stored);
    return stored;
  });
}

/** Events that change projections: applied one by one with their rows, in one transaction. */
async function insertProjected(db: Database, batch: NewEvent[]): Promise<StoredEvent[]> {
  return db.transaction(async (tx) => {
    // The events lock first, before any projection locks a row: every writer takes its locks in this
    // order (the streamed statement locks runs' rows for their counters while it holds this one).
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('agent-runs:events'))`);
    const ids = [...new Set(batch.map((e) => e.eventId))];
    const known = new Map<string, StoredEvent>();
    for (const row of await tx.select().from(events).where(inArray(events.eventId, ids))) known.set(row.eventId, toStoredEvent(row));

    const fresh: EventRow[] = [];
    /** A later terminal event of a run that ended earlier in this batch: answered with that first one. */
    const endedHere = new Map<string, string>();
    const sameAs = new Map<string, string>();
    const inBatch = new Set<string>();
    for (const event of batch) {
      if (known.has(event.eventId) || inBatch.has(event.eventId)) continue;
      inBatch.add(event.eventId);
      const terminal = event.runId && RUN_ENDED_TYPES.includes(event.type) ? event.runId : undefined;
      if (terminal && endedHere.has(terminal)) {
        sameAs.set(event.eventId, endedHere.get(terminal)!);
        continue;
      }
      const ended = await runEndedAlready(tx, event);
      if (ended) {
        known.set(event.eventId, toStoredEvent(ended));
        continue;
      }
      const runNumber = await applyProjection(tx, event);
      if (terminal) endedHere.set(terminal, event.eventId);
      fresh.push(toRow(event, runNumber));
    }
    if (fresh.length > 0) {
      const inserted = await insertEventRows(tx, fresh, 'fail');
      for (const row of fresh) known.set(row.eventId, fromRow(row, inserted.get(row.eventId.toLowerCase())!));
    }
    return batch.map((event) => known.get(sameAs.get(event.eventId) ?? event.eventId)!);
  });
}

function toRow(event: NewEvent, runNumber: number | null): EventRow {
  return {
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
  };
}

/** The stored event of a row just inserted: its values as they were made storable on the way in. */
function fromRow(row: EventRow, inserted: Inserted): StoredEvent {
  return {
    cursor: inserted.cursor,
    eventId: row.eventId.toLowerCase(),
    type: storableText(row.type),
    version: row.version ?? 1,
    executionId: row.executionId.toLowerCase(),
    runId: row.runId?.toLowerCase() ?? null,
    runNumber: inserted.runNumber,
    turnNumber: row.turnNumber ?? null,
    attempt: row.attempt ?? null,
    actor: inserted.actor as Actor | null,
    occurredAt: row.occurredAt.toISOString(),
    payload: inserted.payload as Record<string, unknown>,
  };
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
