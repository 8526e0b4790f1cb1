import type { Database } from '../db/client.ts';
import { findRun } from '../db/executions.ts';
import type { Caller } from '../db/tokens.ts';
import { ApiError } from './errors.ts';
import { accessTo, isUuid } from './execution-access.ts';

/** A run the caller may see (as its execution), by its uuid or its global number (Run-56 is `56`), or 404. */
export async function loadVisibleRun(db: Database, id: string, caller: Caller) {
  const key = isUuid(id) ? { id } : /^\d{1,15}$/.test(id) ? { number: Number(id) } : undefined;
  const found = key ? await findRun(db, key) : undefined;
  if (!found || !(await accessTo(db, found.execution, caller))) throw new ApiError(404, 'not_found', `no run ${id}`);
  return found.run;
}
