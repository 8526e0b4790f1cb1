import { and, eq } from 'drizzle-orm';
import { ACCESS_EVENT_TYPES, type ShareAccess } from '../common/access-events.ts';
import { isTenantAdmin } from '../common/permissions.ts';
import type { Database } from '../db/client.ts';
import { type ExecutionRow, findExecution, findExecutionRow } from '../db/executions.ts';
import { executionShares } from '../db/schema.ts';
import { type Caller, findCaller } from '../db/tokens.ts';
import { ApiError } from './errors.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => uuidPattern.test(value);

/** What the caller may do with an execution: own it, collaborate (decide, stop, message), or read it (and comment). */
export type Access = 'owner' | ShareAccess;

type Guarded = Pick<ExecutionRow, 'id' | 'tenantId' | 'ownerId' | 'visibility'>;

/**
 * The caller's access to the execution, or undefined when they may not see it. An execution is
 * private to its owner (seed 001: "only you can see it") until it is shared with someone of its
 * tenant, or its visibility is `tenant` (everyone there reads it). Nothing crosses tenants.
 */
export async function accessTo(db: Database, execution: Guarded, caller: Caller): Promise<Access | undefined> {
  if (execution.tenantId !== caller.tenantId) return undefined;
  if (execution.ownerId === caller.id) return 'owner';
  const [share] = await db
    .select({ access: executionShares.access })
    .from(executionShares)
    .where(and(eq(executionShares.executionId, execution.id), eq(executionShares.userId, caller.id)));
  if (share) return share.access as ShareAccess;
  return execution.visibility === 'tenant' ? 'read' : undefined;
}

/** An execution the caller may see, with its runs and the caller's access, or 404: others' executions are not revealed to exist. */
export async function loadVisibleExecution(db: Database, id: string, caller: Caller) {
  const found = isUuid(id) ? await findExecution(db, id) : undefined;
  const access = found && (await accessTo(db, found.execution, caller));
  if (!found || !access) throw notFound(id);
  return { ...found, access };
}

/** The execution's row alone (no runs), or 404 as loadVisibleExecution. */
export async function loadVisibleExecutionRow(db: Database, id: string, caller: Caller) {
  const execution = isUuid(id) ? await findExecutionRow(db, id) : undefined;
  const access = execution && (await accessTo(db, execution, caller));
  if (!execution || !access) throw notFound(id);
  return { execution, access };
}

/**
 * The execution's row and what the caller may do with it: `admin` for an admin of its tenant who may
 * not otherwise see it (they stop it and change its access, audited, without reading it). One read.
 */
async function loadRowFor(db: Database, id: string, caller: Caller): Promise<{ execution: ExecutionRow; access: Access | 'admin' }> {
  const execution = isUuid(id) ? await findExecutionRow(db, id) : undefined;
  const access = execution && (await accessTo(db, execution, caller));
  if (execution && access) return { execution, access };
  if (execution && execution.tenantId === caller.tenantId && isTenantAdmin(caller)) return { execution, access: 'admin' };
  throw notFound(id);
}

/** An execution the caller may act on (its owner or a collaborator); 404 when they may not see it, 403 when they may only read it. */
export async function loadActionableExecutionRow(db: Database, id: string, caller: Caller): Promise<ExecutionRow> {
  const { execution, access } = await loadVisibleExecutionRow(db, id, caller);
  if (access === 'read') throw readOnly(id, 'only its owner and collaborators act on it');
  return execution;
}

/**
 * An execution the caller may stop: as loadActionableExecutionRow, and any of the tenant's for an
 * admin (one holding a project's slot for a month is not only its owner's business). The stop is audited as the admin's.
 */
export async function loadStoppableExecutionRow(db: Database, id: string, caller: Caller): Promise<ExecutionRow> {
  const { execution, access } = await loadRowFor(db, id, caller);
  if (access === 'read' && !isTenantAdmin(caller)) throw readOnly(id, 'only its owner and collaborators act on it');
  return execution;
}

/**
 * An execution whose access the caller may change (share, visibility, hand-off): its owner's, or any
 * of the tenant's for an admin, whose changes are audited like the owner's. Others: 404 or 403 as above.
 */
export async function loadExecutionToShare(db: Database, id: string, caller: Caller): Promise<ExecutionRow> {
  const { execution, access } = await loadRowFor(db, id, caller);
  if (access !== 'owner' && !isTenantAdmin(caller)) {
    throw new ApiError(403, 'forbidden', `only the owner of execution ${id} (or an admin) changes who may see it`);
  }
  return execution;
}

const readOnly = (id: string, rule: string) => new ApiError(403, 'forbidden', `execution ${id} is shared with you to read: ${rule}`);

/**
 * For a stream of the execution: whether its token may still see it, checked after each change of
 * access the stream carries and now and then without one (`event` undefined). A share taken back, a
 * hand-off, visibility made private, a revoked token or a role without execution:read end it.
 */
export const accessKept = (db: Database, executionId: string, token: string) => async (event?: { type: string }) => {
  if (event && !(ACCESS_EVENT_TYPES as readonly string[]).includes(event.type)) return true;
  const [caller, execution] = await Promise.all([findCaller(db, token), findExecutionRow(db, executionId)]);
  if (!caller?.permissions.includes('execution:read') || !execution) return false;
  return (await accessTo(db, execution, caller)) !== undefined;
};

const notFound = (id: string) => new ApiError(404, 'not_found', `no execution ${id}`);
