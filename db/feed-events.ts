import { and, asc, eq, gt, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { StoredEvent } from '../common/events.ts';
import { STATUS_EVENT_TYPES } from '../common/status-events.ts';
import type { Database } from './client.ts';
import { toStoredEvent } from './events.ts';
import { events, executions } from './schema.ts';

const HANDED_OFF = 'execution.handed_off';

/** A stored event with what streams filter on: its execution's owner and kind. */
export interface FeedEvent extends StoredEvent {
  ownerId: string;
  background: boolean;
}

/**
 * Which events a stream carries: one execution's, or the status changes of an owner's executions
 * (optionally only background ones). The same filter reads history (catch-up) and matches live events.
 */
export type FeedFilter = { executionId: string } | { ownerId: string; statusChanges: true; backgroundOnly?: boolean } | { all: true };

/** One page of events after `afterCursor` (exclusive) in cursor order. */
export async function readFeedEvents(db: Database, filter: FeedFilter, afterCursor: number, limit: number): Promise<FeedEvent[]> {
  const conditions: SQL[] = [gt(events.cursor, afterCursor)];
  if ('executionId' in filter) conditions.push(eq(events.executionId, filter.executionId));
  if ('ownerId' in filter) {
    // A hand-off concerns both owners: the one it left and the one it came to.
    const handedOff = and(
      eq(events.type, HANDED_OFF),
      or(sql`${events.payload}->>'from' = ${filter.ownerId}`, sql`${events.payload}->>'to' = ${filter.ownerId}`),
    );
    conditions.push(or(and(eq(executions.ownerId, filter.ownerId), inArray(events.type, [...STATUS_EVENT_TYPES])), handedOff)!);
    if (filter.backgroundOnly) conditions.push(eq(executions.background, true));
  }
  const rows = await db
    .select({ event: events, ownerId: executions.ownerId, background: executions.background })
    .from(events)
    .innerJoin(executions, eq(executions.id, events.executionId))
    .where(and(...conditions))
    .orderBy(asc(events.cursor))
    .limit(limit);
  return rows.map((row) => ({ ...toStoredEvent(row.event), ownerId: row.ownerId, background: row.background }));
}

/** Whether a live event belongs to a stream with this filter (the in-memory twin of the query above). */
export function matchesFeed(filter: FeedFilter, event: FeedEvent): boolean {
  if ('executionId' in filter) return event.executionId === filter.executionId;
  if ('ownerId' in filter) {
    const ownersOf = event.type === HANDED_OFF ? [event.payload?.from, event.payload?.to] : [];
    const concerns = ownersOf.includes(filter.ownerId) || (event.ownerId === filter.ownerId && STATUS_EVENT_TYPES.includes(event.type));
    return concerns && (!filter.backgroundOnly || event.background);
  }
  return true;
}
