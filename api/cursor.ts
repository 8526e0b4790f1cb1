import { ApiError } from './errors.ts';

/** List cursors are opaque to clients: base64url of the last item's (createdAt, id). */
export const encodeCursor = (position: { createdAt: Date; id: string }): string =>
  Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new ApiError(400, 'invalid_request', 'cursor: must be a nextCursor returned by this API');
  }
}
