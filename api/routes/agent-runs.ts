import { Hono } from 'hono';
import { z } from 'zod';
import { listAgentRuns } from '../../db/agent-runs.ts';
import { findAgent } from '../../db/agents.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { runView } from '../execution-view.ts';
import { validate } from '../validation.ts';

const runsQuery = z.strictObject({
  /** The last run number of the previous page. */
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a nextCursor returned by this API')
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** `GET /v1/agents/:id/runs`: the caller's runs of this agent (seed 003's Runs tab), newest first. */
export function agentRunRoutes({ db }: AppDeps) {
  return new Hono<AuthEnv>().get('/:id/runs', requirePermission('execution:read'), async (c) => {
    const agentId = c.req.param('id');
    const { cursor, limit } = validate(runsQuery, c.req.query());
    if (!(await findAgent(db, c.var.caller.tenantId, agentId))) throw new ApiError(404, 'not_found', `no agent ${agentId}`);
    const rows = await listAgentRuns(db, { ownerId: c.var.caller.id, agentId, beforeNumber: cursor ? Number(cursor) : undefined, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return c.json({
      items: page.map((row) => ({ ...runView(row.run), executionId: row.run.executionId, prompt: row.prompt, projectId: row.projectId })),
      nextCursor: rows.length > limit ? String(page.at(-1)!.run.number) : null,
    });
  });
}
