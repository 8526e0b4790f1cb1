import type { Database } from '../db/client.ts';
import { type ExecutionRow, findExecution, findExecutionRow } from '../db/executions.ts';
import type { Caller } from '../db/tokens.ts';
import { ApiError } from './errors.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => uuidPattern.test(value);

/**
 * Whether the caller may see the execution: it is private to its owner (seed 001: "only you can see
 * it"), within its tenant. Everyone else is told it does not exist.
 */
export function canSee(execution: Pick<ExecutionRow, 'tenantId' | 'ownerId'>, caller: Caller): boolean {
  return execution.tenantId === caller.tenantId && execution.ownerId === caller.id;
}

/** An execution the caller may see, with its runs, or 404: others' executions are not revealed to exist. */
export async function loadVisibleExecution(db: Database, id: string, caller: Caller) {
  const found = isUuid(id) ? await findExecution(db, id) : undefined;
  if (!found || !canSee(found.execution, caller)) throw notFound(id);
  return found;
}

/** The execution's row alone (no runs), or 404 as loadVisibleExecution. */
export async function loadVisibleExecutionRow(db: Database, id: string, caller: Caller) {
  const execution = isUuid(id) ? await findExecutionRow(db, id) : undefined;
  if (!execution || !canSee(execution, caller)) throw notFound(id);
  return execution;
}

const notFound = (id: string) => new ApiError(404, 'not_found', `no execution ${id}`);
