import { and, asc, eq, gt } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { runFiles } from '../../db/schema.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { runView } from '../execution-view.ts';
import { loadVisibleRun } from '../run-access.ts';
import { validate } from '../validation.ts';

const runQuery = z.strictObject({
  /** The previous page's `nextFilesCursor`. */
  filesCursor: z.string().max(10_000).optional(),
  filesLimit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * `GET /v1/runs/:id`: a run by its uuid or its global number (Run-56 is `/v1/runs/56`), with its
 * usage, summary and results: the files it changed, `+added/-removed` and the unified diff, a page
 * at a time (by path). `filesChanged` counts every file; a run keeps the first 1,000
 * (`filesTruncated` when there were more).
 */
export function runRoutes(deps: AppDeps) {
  return new Hono<AuthEnv>().get('/:id', requirePermission('execution:read'), async (c) => {
    const { filesCursor, filesLimit } = validate(runQuery, c.req.query());
    const after = filesCursor === undefined ? undefined : decodeFilesCursor(filesCursor);
    const run = await loadVisibleRun(deps.db, c.req.param('id'), c.var.caller);
    const rows = await deps.db
      .select({ path: runFiles.path, added: runFiles.added, removed: runFiles.removed, diff: runFiles.diff })
      .from(runFiles)
      .where(and(eq(runFiles.runId, run.id), after === undefined ? undefined : gt(runFiles.path, after)))
      .orderBy(asc(runFiles.path))
      .limit(filesLimit + 1);
    const files = rows.slice(0, filesLimit);
    const nextFilesCursor = rows.length > filesLimit ? Buffer.from(files.at(-1)!.path).toString('base64url') : null;
    return c.json({ ...runView(run), filesChanged: run.filesChanged, filesTruncated: run.filesTruncated, files, nextFilesCursor });
  });
}

function decodeFilesCursor(cursor: string): string {
  const path = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!path || Buffer.from(path).toString('base64url') !== cursor) {
    throw new ApiError(400, 'invalid_request', 'filesCursor: must be a nextFilesCursor returned by this API');
  }
  return path;
}
