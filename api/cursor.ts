import { ApiError } from './errors.ts';
import { isUuid } from './execution-access.ts';

/**
 * Where a list page ended: the last item's (createdAt, id), and its search rank when the list was
 * a `q=` search (ordered by rank first).
 */
export interface ListPosition {
  createdAt: Date;
  id: string;
  rank?: number;
}

/** List cursors are opaque to clients: base64url of the last item's [createdAt, id(, rank)]. */
export const encodeCursor = (position: ListPosition): string =>
  Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id, ...(position.rank === undefined ? [] : [position.rank])])).toString(
    'base64url',
  );

/** Decodes a cursor of a ranked (`q=`) list or of a plain one; a cursor of the other kind is refused. */
export function decodeCursor(cursor: string, ranked = false): ListPosition {
  let position: ListPosition;
  try {
    const [createdAt, id, rank, ...rest] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(createdAt as string);
    // Ranks are Postgres `real`s (ts_rank): a number that type cannot hold was not made by this API.
    const rankOk = rank === undefined || (typeof rank === 'number' && isReal(rank));
    if (typeof createdAt !== 'string' || typeof id !== 'string' || !isUuid(id) || !isStorableDate(date) || !rankOk || rest.length)
      throw new Error('bad cursor');
    position = { createdAt: date, id, ...(rank !== undefined && { rank: rank as number }) };
  } catch {
    throw new ApiError(400, 'invalid_request', 'cursor: must be a nextCursor returned by this API');
  }
  if (ranked !== (position.rank !== undefined)) {
    throw new ApiError(400, 'invalid_request', `cursor: was returned for a list ${ranked ? 'without' : 'with'} q; use it with the same query`);
  }
  return position;
}

/** Whether Postgres's `real` (float4) holds this number: 0, or a normal float4 magnitude. */
const isReal = (n: number) => Number.isFinite(n) && (n === 0 || (Math.abs(n) >= 1.18e-38 && Math.abs(n) <= 3.4e38));

/** A valid date Postgres can store and compare (years 1 to 9999 in UTC); others would fail the query. */
export function isStorableDate(date: Date): boolean {
  const year = date.getUTCFullYear();
  return !Number.isNaN(date.getTime()) && year >= 1 && year <= 9999;
}
