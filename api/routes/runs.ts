import { asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { findRun } from '../../db/executions.ts';
import { runFiles } from '../../db/schema.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { runView } from '../execution-view.ts';
import { isUuid } from '../own-execution.ts';

/**
 * `GET /v1/runs/:id`: a run by its uuid or its global number (Run-56 is `/v1/runs/56`), with its
 * usage, summary and results: every file it changed, `+added/-removed` and the unified diff.
 */
export function runRoutes(deps: AppDeps) {
  return new Hono<AuthEnv>().get('/:id', requirePermission('execution:read'), async (c) => {
    const id = c.req.param('id');
    const key = isUuid(id) ? { id } : /^\d{1,15}$/.test(id) ? { number: Number(id) } : undefined;
    const found = key ? await findRun(deps.db, key) : undefined;
    if (!found || found.ownerId !== c.var.ownerId) throw new ApiError(404, 'not_found', `no run ${id}`);
    const files = await deps.db
      .select({ path: runFiles.path, added: runFiles.added, removed: runFiles.removed, diff: runFiles.diff })
      .from(runFiles)
      .where(eq(runFiles.runId, found.run.id))
      .orderBy(asc(runFiles.path));
    return c.json({ ...runView(found.run), files });
  });
}
