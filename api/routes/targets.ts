import { Hono } from 'hono';
import { z } from 'zod';
import { ACTIVE_STATUSES } from '../../common/statuses.ts';
import { listExecutions, targetIsActive } from '../../db/execution-list.ts';
import { runNumbers } from '../../db/executions.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { executionSummary } from '../execution-view.ts';
import { nonBlank, validate } from '../validation.ts';

const targetParams = z.strictObject({ type: nonBlank(200), id: nonBlank(200) });
const runsQuery = z.strictObject({
  active: z.enum(['true', 'false']).optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/**
 * `GET /v1/targets/:type/:id/runs`: the caller's executions on one target (seed 000's item badge),
 * newest first, each with its current run; `active` says whether any of them is at work now.
 * Archived executions are left out, as in the other lists.
 */
export function targetRoutes({ db }: AppDeps) {
  return new Hono<AuthEnv>().get('/:type/:id/runs', requirePermission('execution:read'), async (c) => {
    const target = validate(targetParams, c.req.param());
    const query = validate(runsQuery, c.req.query());
    const ownerId = c.var.caller.id;
    const rows = await listExecutions(db, {
      ownerId,
      target,
      statuses: query.active === 'true' ? ACTIVE_STATUSES : undefined,
      archived: false,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const numbers = await runNumbers(
      db,
      page.flatMap((row) => (row.currentRunId ? [row.currentRunId] : [])),
    );
    const last = page.at(-1);
    return c.json({
      target,
      active: await targetIsActive(db, ownerId, target),
      items: page.map((row) => ({
        ...executionSummary(row),
        currentRunId: row.currentRunId,
        currentRunNumber: row.currentRunId ? (numbers.get(row.currentRunId) ?? null) : null,
      })),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    });
  });
}
