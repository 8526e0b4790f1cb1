import type { Database } from '../../db/client.ts';
import { latestCursor } from '../../db/events.ts';
import { ApiError } from '../errors.ts';

/**
 * Where a stream starts: after the cursor the client last saw (`Last-Event-ID` on an SSE reconnect,
 * else `after`), or at `fallback` ('start': the whole history; 'now': only what happens next).
 * A cursor that is not one, or lies beyond the newest event, is a 400.
 */
export async function resumeCursor(db: Database, given: string | undefined, fallback: 'start' | 'now'): Promise<number> {
  if (given === undefined || given === '') return fallback === 'start' ? 0 : latestCursor(db);
  if (!/^\d{1,18}$/.test(given)) throw new ApiError(400, 'invalid_request', 'after: must be an event cursor (the id of an event this API sent)');
  const after = Number(given);
  const latest = await latestCursor(db);
  if (after > latest) throw new ApiError(400, 'invalid_request', `after: cursor ${after} is beyond the newest event (${latest})`);
  return after;
}
