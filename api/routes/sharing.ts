import { randomUUID } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { and, asc, eq } from 'drizzle-orm';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { type AccessEventType, SHARE_ACCESS, VISIBILITIES } from '../../common/access-events.ts';
import type { Database } from '../../db/client.ts';
import { appendEvent } from '../../db/events.ts';
import type { ExecutionRow } from '../../db/executions.ts';
import { findExecutionRow } from '../../db/executions.ts';
import { isProjectMember } from '../../db/projects.ts';
import { executionShares } from '../../db/schema.ts';
import { findUserById } from '../../db/tenants.ts';
import { executionWorkflowId, ownerChangedSignal } from '../../workflows/definitions.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, actorOf, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { loadExecutionToShare, loadVisibleExecutionRow } from '../execution-access.ts';
import { nonBlank, readJsonBody, readOptionalJson, validate } from '../validation.ts';

const shareBody = z.strictObject({ access: z.enum(SHARE_ACCESS) });
const visibilityBody = z.strictObject({ visibility: z.enum(VISIBILITIES) });
const handOffBody = z.strictObject({ userId: nonBlank(300) });

/**
 * Who may see an execution besides its owner (seed 001's collaboration): shares with users of the
 * tenant (`read`, or `collaborate`: also approve, deny, stop, message), its visibility (`tenant`:
 * everyone there reads it), and hand-off (a new owner: it moves into their lists and status). The
 * owner changes these, and the tenant's admins; each change is an audit event.
 */
export function sharingRoutes({ db, client }: AppDeps) {
  const change = requirePermission('execution:create');

  /**
   * Records a change of access made while `execution.ownerId` owns it (a hand-off names its own `from`).
   * One that raced a hand-off is recorded but changes nothing: the caller hears 409.
   */
  const record = async (c: Context<AuthEnv>, execution: ExecutionRow, type: AccessEventType, payload: Record<string, unknown>) => {
    await appendEvent(db, {
      eventId: randomUUID(),
      type,
      executionId: execution.id,
      actor: actorOf(c.var.caller),
      occurredAt: new Date().toISOString(),
      payload: type === 'execution.handed_off' ? payload : { ...payload, owner: execution.ownerId },
    });
    const owner = type === 'execution.handed_off' ? payload.to : execution.ownerId;
    const now = await findExecutionRow(db, execution.id);
    if (now?.ownerId !== owner) {
      throw new ApiError(409, 'invalid_state', `execution ${execution.id} was handed off to ${now?.ownerId} meanwhile: nothing changed`);
    }
  };
  /**
   * A user of the execution's tenant, other than its owner. An admin changes others' access, never
   * gives it to themselves: seeing someone's execution takes its owner's share.
   */
  const otherUser = async (c: Context<AuthEnv>, execution: ExecutionRow, userId: string) => {
    const user = await findUserById(db, userId);
    if (!user || user.tenantId !== execution.tenantId) throw new ApiError(404, 'not_found', `no user ${userId}`);
    if (user.id === execution.ownerId) throw new ApiError(409, 'invalid_state', `${userId} owns execution ${execution.id}`);
    if (user.id === c.var.caller.id) throw new ApiError(403, 'forbidden', `only the owner of execution ${execution.id} gives access to it to you`);
    return user;
  };
  const answer = async (c: Context<AuthEnv>, executionId: string) => c.json(await accessView(db, (await findExecutionRow(db, executionId))!));

  return new Hono<AuthEnv>()
    .get('/:id/access', requirePermission('execution:read'), async (c) => {
      const { execution } = await loadVisibleExecutionRow(db, c.req.param('id'), c.var.caller);
      return c.json(await accessView(db, execution));
    })
    .put('/:id/shares/:userId', change, async (c) => {
      const { access } = await readJsonBody(c, shareBody);
      const execution = await loadExecutionToShare(db, c.req.param('id'), c.var.caller);
      const user = await otherUser(c, execution, c.req.param('userId'));
      const current = await shareOf(db, execution.id, user.id);
      if (current !== access) await record(c, execution, 'execution.shared', { userId: user.id, access, before: current ?? null });
      return answer(c, execution.id);
    })
    .delete('/:id/shares/:userId', change, async (c) => {
      validate(z.strictObject({}), await readOptionalJson(c));
      const execution = await loadExecutionToShare(db, c.req.param('id'), c.var.caller);
      const user = await otherUser(c, execution, c.req.param('userId'));
      const current = await shareOf(db, execution.id, user.id);
      if (!current) throw new ApiError(404, 'not_found', `execution ${execution.id} is not shared with ${user.id}`);
      await record(c, execution, 'execution.unshared', { userId: user.id, before: current });
      return answer(c, execution.id);
    })
    .put('/:id/visibility', change, async (c) => {
      const { visibility } = await readJsonBody(c, visibilityBody);
      const execution = await loadExecutionToShare(db, c.req.param('id'), c.var.caller);
      if (execution.visibility !== visibility)
        await record(c, execution, 'execution.visibility_changed', { visibility, before: execution.visibility });
      return answer(c, execution.id);
    })
    .post('/:id/hand-off', change, async (c) => {
      const { userId } = await readJsonBody(c, handOffBody);
      const execution = await loadExecutionToShare(db, c.req.param('id'), c.var.caller);
      const user = await otherUser(c, execution, userId);
      if (user.role === 'viewer') {
        throw new ApiError(422, 'invalid_owner', `${user.id} is a viewer and cannot work on an execution: hand it to a member or an admin`);
      }
      if (user.role !== 'admin' && !(await isProjectMember(db, execution.tenantId, execution.projectId, user.id))) {
        throw new ApiError(422, 'invalid_owner', `${user.id} is not a member of project ${execution.projectId}: add them first`);
      }
      await record(c, execution, 'execution.handed_off', { from: execution.ownerId, to: user.id });
      await tellNewOwner(client, execution.id, user.id);
      return answer(c, execution.id);
    });
}

/**
 * Tells the execution's workflow its new owner, for its `OwnerId` search attribute. A closed one has
 * nothing to show (reopened, it starts with the owner Postgres has); a failure leaves only the label stale.
 */
async function tellNewOwner(client: Client, executionId: string, ownerId: string): Promise<void> {
  try {
    await client.workflow.getHandle(executionWorkflowId(executionId)).signal(ownerChangedSignal, { ownerId });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError))
      console.warn(`[api] execution ${executionId}'s OwnerId search attribute not updated: ${(err as Error).message}`);
  }
}

async function shareOf(db: Database, executionId: string, userId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ access: executionShares.access })
    .from(executionShares)
    .where(and(eq(executionShares.executionId, executionId), eq(executionShares.userId, userId)));
  return row?.access;
}

/** Who may see the execution: its owner, its visibility, and its shares (oldest first). */
async function accessView(db: Database, execution: ExecutionRow) {
  const shares = await db
    .select()
    .from(executionShares)
    .where(eq(executionShares.executionId, execution.id))
    .orderBy(asc(executionShares.createdAt), asc(executionShares.userId));
  return {
    executionId: execution.id,
    ownerId: execution.ownerId,
    visibility: execution.visibility,
    shares: shares.map((s) => ({ userId: s.userId, access: s.access, since: s.createdAt.toISOString() })),
  };
}
