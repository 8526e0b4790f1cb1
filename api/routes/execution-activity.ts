import { Hono } from 'hono';
import { listStatusEvents } from '../../db/run-events.ts';
import { activityPeriods } from '../activity-periods.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { loadVisibleExecution } from '../execution-access.ts';

/** `GET /v1/executions/:id/activity`: seed 001's Agent Timeline, the periods an execution was active or waiting. */
export function executionActivityRoutes(deps: AppDeps) {
  return new Hono<AuthEnv>().get('/:id/activity', requirePermission('execution:read'), async (c) => {
    const { execution } = await loadVisibleExecution(deps.db, c.req.param('id'), c.var.caller);
    return c.json(activityPeriods(await listStatusEvents(deps.db, execution.id)));
  });
}
