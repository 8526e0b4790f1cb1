import type { Database } from '../db/client.ts';
import { findExecution } from '../db/executions.ts';
import { ApiError } from './errors.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => uuidPattern.test(value);

/** The caller's execution, or 404: other owners' executions are not revealed to exist. */
export async function loadOwnExecution(db: Database, id: string, ownerId: string) {
  const found = isUuid(id) ? await findExecution(db, id) : undefined;
  if (!found || found.execution.ownerId !== ownerId) throw new ApiError(404, 'not_found', `no execution ${id}`);
  return found;
}
