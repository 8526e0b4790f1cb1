import { Hono } from 'hono';
import { z } from 'zod';
import { parseDuration } from '../../common/duration.ts';
import { DEFAULT_AGENT_ID } from '../../common/agents.ts';
import { BUDGET_LIMITS } from '../../common/budgets.ts';
import { modelProblem } from '../../common/models.ts';
import { findAgent } from '../../db/agents.ts';
import { PLAN_MODES, STATUSES } from '../../common/statuses.ts';
import { listExecutionEvents } from '../../db/events.ts';
import { findExecution, listExecutions } from '../../db/executions.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { ApiError } from '../errors.ts';
import { describeExecution, executionSummary, executionView } from '../execution-view.ts';
import { loadOwnExecution } from '../own-execution.ts';
import { startExecution } from '../start-execution.ts';
import { MAX_BODY_BYTES, nonBlank, readJsonBody, validate } from '../validation.ts';

const DAY_MS = 86_400_000;

const createExecutionBody = z.strictObject({
  projectId: nonBlank(200),
  prompt: nonBlank(MAX_BODY_BYTES),
  planMode: z.enum(PLAN_MODES).default('always'),
  /** Overrides the agent's model for this execution. */
  model: z.strictObject({ provider: nonBlank(100), model: nonBlank(200) }).optional(),
  agentId: nonBlank(200).default(DEFAULT_AGENT_ID),
  /** Overrides of the agent's budgets for this execution. */
  budgets: z
    .strictObject({
      maxSteps: z.number().int().min(BUDGET_LIMITS.maxSteps.min).max(BUDGET_LIMITS.maxSteps.max).optional(),
      maxCostUsd: z.number().min(BUDGET_LIMITS.maxCostUsd.min).max(BUDGET_LIMITS.maxCostUsd.max).nullable().optional(),
      maxDurationMs: z.number().int().min(BUDGET_LIMITS.maxDurationMs.min).max(BUDGET_LIMITS.maxDurationMs.max).optional(),
    })
    .optional(),
  ticket: nonBlank(200).optional(),
  approvalTimeout: z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms < 1000 || ms > 30 * DAY_MS) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration from 1s to 30d, like "90s", "2h" or milliseconds' });
        return z.NEVER;
      }
      return ms;
    })
    .default(DAY_MS),
});

const listQuery = z.strictObject({
  projectId: nonBlank(200).optional(),
  status: z
    .string()
    .transform((value) => value.split(','))
    .pipe(z.array(z.enum(STATUSES)))
    .optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

const eventsQuery = z.strictObject({
  cursor: z.string().regex(/^\d{1,18}$/, 'must be a cursor returned by this API').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function executionRoutes(deps: AppDeps) {
  const { db } = deps;

  return new Hono<AuthEnv>()
    .post('/', requirePermission('execution:create'), async (c) => {
      const { approvalTimeout, ...body } = await readJsonBody(c, createExecutionBody);
      const agent = await findAgent(db, body.agentId);
      if (!agent) throw new ApiError(422, 'agent_unavailable', `agent "${body.agentId}" does not exist`);
      if (!agent.enabled) throw new ApiError(422, 'agent_unavailable', `agent "${body.agentId}" is disabled`);
      const model = body.model ?? { provider: agent.provider, model: agent.model };
      const problem = modelProblem(model);
      if (problem) throw new ApiError(422, 'model_not_configured', problem);
      const id = await startExecution(deps, c.var.ownerId, { ...body, model, approvalTimeoutMs: approvalTimeout });
      const found = await findExecution(db, id);
      return c.json(found ? executionView(found.execution, found.runs) : { id, status: 'pending' }, 201);
    })
    .get('/', requirePermission('execution:read'), async (c) => {
      const query = validate(listQuery, c.req.query());
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await listExecutions(db, { ownerId: c.var.ownerId, projectId: query.projectId, statuses: query.status, after, limit: query.limit });
      const last = rows.at(-1);
      return c.json({
        items: rows.map((row) => executionSummary(row)),
        nextCursor: rows.length === query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
      });
    })
    .get('/:id', requirePermission('execution:read'), async (c) => {
      const { execution, runs } = await loadOwnExecution(db, c.req.param('id'), c.var.ownerId);
      return c.json(await describeExecution(deps, execution, runs));
    })
    .get('/:id/events', requirePermission('execution:read'), async (c) => {
      const { execution } = await loadOwnExecution(db, c.req.param('id'), c.var.ownerId);
      const { cursor, limit } = validate(eventsQuery, c.req.query());
      const items = await listExecutionEvents(db, execution.id, { afterCursor: cursor ? Number(cursor) : 0, limit });
      const nextCursor = items.length === limit ? items[items.length - 1]!.cursor : null;
      return c.json({ items, nextCursor });
    });
}
