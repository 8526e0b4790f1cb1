import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { PLAN_MODES } from '../../common/statuses.ts';
import type { Database } from '../../db/client.ts';
import { listExecutionEvents } from '../../db/events.ts';
import { findExecution } from '../../db/executions.ts';
import type { AuthEnv } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { executionView } from '../execution-view.ts';
import { MAX_BODY_BYTES, readJsonBody, validate } from '../validation.ts';
import { startExecution } from '../start-execution.ts';

const nonBlank = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const createExecutionBody = z.strictObject({
  projectId: nonBlank(200),
  prompt: nonBlank(MAX_BODY_BYTES),
  planMode: z.enum(PLAN_MODES).default('always'),
  agentId: nonBlank(200).optional(),
});

const eventsQuery = z.object({
  cursor: z.string().regex(/^\d{1,18}$/, 'must be a cursor returned by this API').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function executionRoutes(deps: { db: Database; client: Client; taskQueue: string }) {
  const { db } = deps;

  /** The caller's execution, or 404: other owners' executions are not revealed to exist. */
  async function loadOwnExecution(id: string, ownerId: string) {
    const found = uuidPattern.test(id) ? await findExecution(db, id) : undefined;
    if (!found || found.execution.ownerId !== ownerId) throw new ApiError(404, 'not_found', `no execution ${id}`);
    return found;
  }

  return new Hono<AuthEnv>()
    .post(
      '/',
      bodyLimit({
        maxSize: MAX_BODY_BYTES,
        onError: () => {
          throw new ApiError(413, 'payload_too_large', `request body is over ${MAX_BODY_BYTES} bytes`);
        },
      }),
      async (c) => {
        const body = await readJsonBody(c, createExecutionBody);
        const id = await startExecution(deps, c.var.ownerId, body);
        const found = await findExecution(db, id);
        return c.json(found ? executionView(found.execution, found.runs) : { id, status: 'pending' }, 201);
      },
    )
    .get('/:id', async (c) => {
      const { execution, runs } = await loadOwnExecution(c.req.param('id'), c.var.ownerId);
      return c.json(executionView(execution, runs));
    })
    .get('/:id/events', async (c) => {
      const { execution } = await loadOwnExecution(c.req.param('id'), c.var.ownerId);
      const { cursor, limit } = validate(eventsQuery, c.req.query());
      const items = await listExecutionEvents(db, execution.id, { afterCursor: cursor ? Number(cursor) : 0, limit });
      const nextCursor = items.length === limit ? items[items.length - 1]!.cursor : null;
      return c.json({ items, nextCursor });
    });
}
