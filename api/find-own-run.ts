import type { Database } from '../db/client.ts';
import { findRun } from '../db/executions.ts';
import { ApiError } from './errors.ts';
import { isUuid } from './own-execution.ts';

/** The caller's run by its uuid or its global number (Run-56 is `56`), or 404: other owners' runs are not revealed to exist. */
export async function loadOwnRun(db: Database, id: string, ownerId: string) {
  const key = isUuid(id) ? { id } : /^\d{1,15}$/.test(id) ? { number: Number(id) } : undefined;
  const found = key ? await findRun(db, key) : undefined;
  if (!found || found.ownerId !== ownerId) throw new ApiError(404, 'not_found', `no run ${id}`);
  return found.run;
}
