import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { isTerminal, type Status } from '../../common/statuses.ts';
import { appendEvent } from '../../db/events.ts';
import { findExecution } from '../../db/executions.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, actorOf, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { loadActionableExecutionRow } from '../execution-access.ts';
import { executionSummary } from '../execution-view.ts';
import { readOptionalJson, validate } from '../validation.ts';

/**
 * `POST /v1/executions/:id/archive` and `/unarchive`: archived executions leave the default lists
 * and the status summary, and stay readable by id. Each change is an audit event; asking for the
 * state the execution is already in answers 200 and writes nothing.
 */
export function archiveRoutes({ db }: AppDeps) {
  const route = (archive: boolean) => async (c: Context<AuthEnv>) => {
    validate(z.strictObject({}), await readOptionalJson(c));
    const execution = await loadActionableExecutionRow(db, c.req.param('id')!, c.var.caller);
    if ((execution.archivedAt !== null) === archive) return c.json(executionSummary(execution));
    // Only finished work is archived: an active execution would vanish from view while it still works.
    if (archive && !isTerminal(execution.status as Status)) {
      throw new ApiError(
        409,
        'invalid_state',
        `cannot archive while the execution is ${execution.status}: stop it first (allowed only when completed, failed or cancelled)`,
      );
    }
    await appendEvent(db, {
      eventId: randomUUID(),
      type: archive ? 'execution.archived' : 'execution.unarchived',
      executionId: execution.id,
      actor: actorOf(c.var.caller),
      occurredAt: new Date().toISOString(),
    });
    const found = await findExecution(db, execution.id);
    return c.json(executionSummary(found!.execution));
  };

  const cancel = requirePermission('execution:cancel');
  return new Hono<AuthEnv>().post('/:id/archive', cancel, route(true)).post('/:id/unarchive', cancel, route(false));
}
