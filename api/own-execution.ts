import type { Database } from '../db/client.ts';
import { findExecution, findExecutionRow } from '../db/executions.ts';
import { ApiError } from './errors.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => uuidPattern.test(value);

/** The caller's execution, or 404: other owners' executions are not revealed to exist. */
export async function loadOwnExecution(db: Database, id: string, ownerId: string) {
  const found = isUuid(id) ? await findExecution(db, id) : undefined;
  if (!found || found.execution.ownerId !== ownerId) throw notFound(id);
  return found;
}

/** The caller's execution row alone (no runs), or 404 as loadOwnExecution. */
export async function loadOwnExecutionRow(db: Database, id: string, ownerId: string) {
  const execution = isUuid(id) ? await findExecutionRow(db, id) : undefined;
  if (!execution || execution.ownerId !== ownerId) throw notFound(id);
  return execution;
}

const notFound = (id: string) => new ApiError(404, 'not_found', `no execution ${id}`);
