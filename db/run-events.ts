import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { StoredEvent } from '../common/events.ts';
import { STATUS_EVENT_TYPES } from '../common/status-events.ts';
import type { Database } from './client.ts';
import { toStoredEvent } from './events.ts';
import { events } from './schema.ts';

/** A run as these queries need it; filtering by its execution too lets Postgres use the (execution_id, cursor) index. */
export interface RunKey {
  id: string;
  executionId: string;
}

/** One page of a run's events in cursor order, after `afterCursor` (exclusive). */
export async function listRunEvents(db: Database, run: RunKey, options: { afterCursor?: number; limit: number }): Promise<StoredEvent[]> {
  const rows = await db
    .select()
    .from(events)
    .where(and(eq(events.executionId, run.executionId), eq(events.runId, run.id), gt(events.cursor, options.afterCursor ?? 0)))
    .orderBy(asc(events.cursor))
    .limit(options.limit);
  return rows.map(toStoredEvent);
}

/** Every event of a run, page by page, so a long run is never held in one query result. */
export async function* runEventPages(db: Database, run: RunKey, pageSize = 500): AsyncGenerator<StoredEvent[]> {
  let afterCursor = 0;
  for (;;) {
    const page = await listRunEvents(db, run, { afterCursor, limit: pageSize });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    afterCursor = Number(page.at(-1)!.cursor);
  }
}

/** Every event of a run, in cursor order. */
export async function allRunEvents(db: Database, run: RunKey): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const page of runEventPages(db, run)) all.push(...page);
  return all;
}

/** The events of an execution (all its runs) that change its status, in cursor order. */
export async function listStatusEvents(db: Database, executionId: string): Promise<StoredEvent[]> {
  const rows = await db
    .select()
    .from(events)
    .where(and(eq(events.executionId, executionId), inArray(events.type, [...STATUS_EVENT_TYPES])))
    .orderBy(asc(events.cursor));
  return rows.map(toStoredEvent);
}
