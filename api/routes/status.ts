import { Hono } from 'hono';
import { countActiveByStatus, recentFailures } from '../../db/status-summary.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';

const FAILURE_WINDOW_MS = 86_400_000;
const FAILURE_LIMIT = 5;

/**
 * `GET /v1/status`: the caller's agents at a glance (seed 000's sidebar). `running` counts the
 * executions at work or about to start; those waiting for a person are counted apart, but the label's
 * "running" includes them, since they hold their project's slot.
 */
export function statusRoutes({ db }: AppDeps) {
  return new Hono<AuthEnv>().get('/', requirePermission('execution:read'), async (c) => {
    const counts = await countActiveByStatus(db, c.var.caller.id);
    const running = (counts.running ?? 0) + (counts.pending ?? 0);
    const queued = counts.queued ?? 0;
    const awaitingApproval = counts.awaiting_approval ?? 0;
    const waitingPermission = counts.waiting_permission ?? 0;
    const busy = running + awaitingApproval + waitingPermission;
    const failures = await recentFailures(db, c.var.caller.id, new Date(Date.now() - FAILURE_WINDOW_MS), FAILURE_LIMIT);
    return c.json({
      running,
      queued,
      awaitingApproval,
      waitingPermission,
      label: busy + queued === 0 ? 'Agents idle' : `Agents: ${busy} running, ${queued} queued`,
      recentFailures: failures.map((f) => ({ ...f, endedAt: f.endedAt?.toISOString() ?? null })),
    });
  });
}
