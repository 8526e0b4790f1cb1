import { createMiddleware } from 'hono/factory';
import type { Database } from '../db/client.ts';
import { findTokenOwner } from '../db/tokens.ts';
import { ApiError } from './errors.ts';

export type AuthEnv = { Variables: { ownerId: string } };

/** Requires `Authorization: Bearer <token>` with a known, unrevoked token; sets the caller's owner id. */
export function requireToken(db: Database) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new ApiError(401, 'unauthorized', 'missing bearer token: send "Authorization: Bearer <token>"');
    const ownerId = await findTokenOwner(db, match[1]!);
    if (!ownerId) throw new ApiError(401, 'unauthorized', 'invalid or revoked token');
    c.set('ownerId', ownerId);
    await next();
  });
}
