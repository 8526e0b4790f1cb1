import { Hono } from 'hono';
import { z } from 'zod';
import type { StoredEvent } from '../../common/events.ts';
import { allRunEvents, listRunEvents, runEventPages } from '../../db/run-events.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { loadVisibleRun } from '../run-access.ts';
import { runTimeline } from '../run-timeline.ts';
import { validate } from '../validation.ts';

const eventsQuery = z
  .strictObject({
    cursor: z
      .string()
      .regex(/^\d{1,18}$/, 'must be a cursor returned by this API')
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    format: z.enum(['json', 'ndjson']).default('json'),
  })
  .refine((q) => q.format === 'json' || (q.cursor === undefined && q.limit === undefined), {
    message: 'format=ndjson exports every event of the run: cursor and limit do not apply',
  });

/**
 * Seed 003's run views: `GET /v1/runs/:id/timeline`, the run's steps; `GET /v1/runs/:id/events`, its
 * raw audit events (the Raw tab), a page at a time or, with `?format=ndjson`, all of them as a download.
 */
export function runViewRoutes(deps: AppDeps) {
  const { db } = deps;
  return new Hono<AuthEnv>()
    .get('/:id/timeline', requirePermission('execution:read'), async (c) => {
      const run = await loadVisibleRun(db, c.req.param('id'), c.var.caller);
      return c.json({ runId: run.id, steps: runTimeline(await allRunEvents(db, run)) });
    })
    .get('/:id/events', requirePermission('execution:read'), async (c) => {
      const run = await loadVisibleRun(db, c.req.param('id'), c.var.caller);
      const { cursor, limit = 100, format } = validate(eventsQuery, c.req.query());
      if (format === 'ndjson') {
        const pages = runEventPages(db, run);
        const encoder = new TextEncoder();
        // Pulled a page at a time, so the export of a long run streams instead of filling memory.
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const next = await pages.next();
            if (next.done) controller.close();
            else controller.enqueue(encoder.encode(next.value.map((e) => `${JSON.stringify(rawEvent(e))}\n`).join('')));
          },
          async cancel() {
            await pages.return(undefined);
          },
        });
        return new Response(body, {
          headers: {
            'content-type': 'application/x-ndjson',
            'content-disposition': `attachment; filename="run-${run.number}-events.ndjson"`,
          },
        });
      }
      const page = await listRunEvents(db, run, { afterCursor: cursor ? Number(cursor) : 0, limit });
      return c.json({ items: page.map(rawEvent), nextCursor: page.length === limit ? page.at(-1)!.cursor : null });
    });
}

/** An audit event as stored, with the table's snake_case column names. */
function rawEvent(event: StoredEvent) {
  return {
    cursor: event.cursor,
    event_id: event.eventId,
    type: event.type,
    version: event.version,
    execution_id: event.executionId,
    run_id: event.runId,
    run_number: event.runNumber,
    turn_number: event.turnNumber,
    attempt: event.attempt,
    actor: event.actor,
    occurred_at: event.occurredAt,
    payload: event.payload,
  };
}
