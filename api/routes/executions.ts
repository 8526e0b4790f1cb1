import { Hono } from 'hono';
import { z } from 'zod';
import { DEFAULT_AGENT_ID } from '../../common/agents.ts';
import { BUDGET_LIMITS } from '../../common/budgets.ts';
import { parseDuration } from '../../common/duration.ts';
import { PLAN_MODES, STATUSES } from '../../common/statuses.ts';
import { listExecutionEvents } from '../../db/events.ts';
import { LIST_SCOPES, listExecutions } from '../../db/execution-list.ts';
import { findExecution } from '../../db/executions.ts';
import { chooseAgentModel } from '../agent-model.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { decodeCursor, encodeCursor, isStorableDate } from '../cursor.ts';
import { loadVisibleExecution } from '../execution-access.ts';
import { describeExecution, executionSummary, executionView } from '../execution-view.ts';
import { projectForNewExecution } from '../project-access.ts';
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
  /** What the execution works on (an item badge shows its runs). */
  target: z.strictObject({ type: nonBlank(200), id: nonBlank(200) }).optional(),
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

const flag = z.enum(['true', 'false']).transform((value) => value === 'true');
const timestamp = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 timestamp, like 2025-01-31T09:00:00Z' })
  .transform((value) => new Date(value))
  .refine(isStorableDate, 'must be between the years 1 and 9999');

/** `type:id` (split at the first colon), as in `target=issue:42`. */
const targetParam = z.string().transform((value, ctx) => {
  const colon = value.indexOf(':');
  const type = value.slice(0, colon).trim();
  const id = value.slice(colon + 1).trim();
  if (colon < 0 || !type || !id || type.length > 200 || id.length > 200) {
    ctx.addIssue({ code: 'custom', message: 'must be type:id, like issue:42 (each 1-200 characters)' });
    return z.NEVER;
  }
  return { type, id };
});

const listQuery = z
  .strictObject({
    projectId: nonBlank(200).optional(),
    agentId: nonBlank(200).optional(),
    status: z
      .string()
      .transform((value) => value.split(','))
      .pipe(z.array(z.enum(STATUSES)))
      .optional(),
    ticket: nonBlank(200).optional(),
    target: targetParam.optional(),
    since: timestamp.optional(),
    until: timestamp.optional(),
    range: z.enum(['today', 'week', 'month', 'all']).optional(),
    archived: z.enum(['false', 'true', 'all']).default('false'),
    /** Whose: the caller's own (default), shared with them, visible to the tenant, or all they may see. */
    scope: z.enum(LIST_SCOPES).default('mine'),
    background: flag.optional(),
    q: nonBlank(200).optional(),
    cursor: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .superRefine((query, ctx) => {
    if (query.range && (query.since || query.until))
      ctx.addIssue({ code: 'custom', path: ['range'], message: 'cannot be combined with since or until' });
    if (query.since && query.until && query.since > query.until)
      ctx.addIssue({ code: 'custom', path: ['since'], message: 'must not be after until' });
  });

/** Where a `range` starts: today is since 00:00 UTC, week and month are the last 7 and 30 days. */
function rangeStart(range: 'today' | 'week' | 'month' | 'all' | undefined, now = new Date()): Date | undefined {
  if (range === 'today') return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  if (range === 'week') return new Date(now.getTime() - 7 * DAY_MS);
  if (range === 'month') return new Date(now.getTime() - 30 * DAY_MS);
  return undefined;
}

const eventsQuery = z.strictObject({
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a cursor returned by this API')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function executionRoutes(deps: AppDeps) {
  const { db } = deps;

  return new Hono<AuthEnv>()
    .post('/', requirePermission('execution:create'), async (c) => {
      const { approvalTimeout, ...body } = await readJsonBody(c, createExecutionBody);
      const { model } = await chooseAgentModel(db, { tenantId: c.var.caller.tenantId, projectId: body.projectId }, body.agentId, body.model);
      await projectForNewExecution(db, c.var.caller, body.projectId);
      const id = await startExecution(deps, c.var.caller, { ...body, model, approvalTimeoutMs: approvalTimeout });
      const found = await findExecution(db, id);
      return c.json(found ? executionView(found.execution, found.runs) : { id, status: 'pending' }, 201);
    })
    .get('/', requirePermission('execution:read'), async (c) => {
      const { cursor, limit, range, since, archived, status, ...filters } = validate(listQuery, c.req.query());
      const after = cursor ? decodeCursor(cursor, filters.q !== undefined) : undefined;
      // One row more than the page tells whether there is a next page.
      const rows = await listExecutions(db, {
        ...filters,
        ownerId: c.var.caller.id,
        tenantId: c.var.caller.tenantId,
        statuses: status,
        since: since ?? rangeStart(range),
        archived: archived === 'all' ? 'all' : archived === 'true',
        after,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return c.json({
        items: page.map((row) => executionSummary(row)),
        nextCursor:
          rows.length > limit && last
            ? encodeCursor({ createdAt: last.createdAt, id: last.id, ...(filters.q !== undefined && { rank: last.rank! }) })
            : null,
      });
    })
    .get('/:id', requirePermission('execution:read'), async (c) => {
      const { execution, runs, access } = await loadVisibleExecution(db, c.req.param('id'), c.var.caller);
      return c.json({ ...(await describeExecution(deps, execution, runs)), access });
    })
    .get('/:id/events', requirePermission('execution:read'), async (c) => {
      const { execution } = await loadVisibleExecution(db, c.req.param('id'), c.var.caller);
      const { cursor, limit } = validate(eventsQuery, c.req.query());
      const items = await listExecutionEvents(db, execution.id, { afterCursor: cursor ? Number(cursor) : 0, limit });
      const nextCursor = items.length === limit ? items[items.length - 1]!.cursor : null;
      return c.json({ items, nextCursor });
    });
}
