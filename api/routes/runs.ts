import { asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { runFiles } from '../../db/schema.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { runView } from '../execution-view.ts';
import { loadOwnRun } from '../find-own-run.ts';

/**
 * `GET /v1/runs/:id`: a run by its uuid or its global number (Run-56 is `/v1/runs/56`), with its
 * usage, summary and results: every file it changed, `+added/-removed` and the unified diff.
 */
export function runRoutes(deps: AppDeps) {
  return new Hono<AuthEnv>().get('/:id', requirePermission('execution:read'), async (c) => {
    const run = await loadOwnRun(deps.db, c.req.param('id'), c.var.ownerId);
    const files = await deps.db
      .select({ path: runFiles.path, added: runFiles.added, removed: runFiles.removed, diff: runFiles.diff })
      .from(runFiles)
      .where(eq(runFiles.runId, run.id))
      .orderBy(asc(runFiles.path));
    return c.json({ ...runView(run), files });
  });
}
