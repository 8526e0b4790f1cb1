import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { accessKept, loadVisibleExecution } from '../execution-access.ts';
import { resumeCursor } from '../streams/resume-cursor.ts';
import { serveEventStream } from '../streams/sse.ts';
import { publicEvent, statusChange } from '../streams/stream-messages.ts';
import { validate } from '../validation.ts';

const streamQuery = z.strictObject({ after: z.string().optional() });

/**
 * Server-Sent Events. `GET /v1/executions/:id/stream`: the execution's audit events, from the
 * start unless resumed. `GET /v1/stream`: status changes of the caller's executions, from now
 * unless resumed. Both resume after `Last-Event-ID` (an EventSource reconnecting) or `?after=`.
 */
export function streamRoutes(deps: AppDeps) {
  const { db } = deps;
  // The query is checked even when Last-Event-ID (an EventSource reconnecting) overrides its `after`.
  const resumeFrom = (c: { req: { header(name: string): string | undefined; query(): Record<string, string> } }) => {
    const { after } = validate(streamQuery, c.req.query());
    return c.req.header('last-event-id') ?? after;
  };

  return new Hono<AuthEnv>()
    .get('/executions/:id/stream', requirePermission('execution:read'), async (c) => {
      const given = resumeFrom(c);
      const { execution } = await loadVisibleExecution(db, c.req.param('id'), c.var.caller);
      const after = await resumeCursor(db, given, 'start');
      return serveEventStream(c, deps, { executionId: execution.id }, after, publicEvent, accessKept(db, execution.id, c.var.token));
    })
    .get('/stream', requirePermission('execution:read'), async (c) => {
      const after = await resumeCursor(db, resumeFrom(c), 'now');
      return serveEventStream(c, deps, { ownerId: c.var.caller.id, statusChanges: true }, after, statusChange);
    });
}
