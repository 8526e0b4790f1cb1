import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Actor } from '../common/events.ts';
import type { Permission } from '../common/permissions.ts';
import type { Database } from '../db/client.ts';
import { type Caller, findCaller } from '../db/tokens.ts';
import { ApiError } from './errors.ts';

/** `token`: the bearer token itself, for a stream that checks now and then that it still holds. */
export type AuthEnv = { Variables: { caller: Caller; token: string } };

function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization') ?? '';
  const fromQuery = c.req.header('upgrade')?.toLowerCase() === 'websocket' ? c.req.query('access_token') : undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? fromQuery;
}

/**
 * Requires `Authorization: Bearer <token>` with a known, unrevoked token; sets who calls (`caller`).
 * A WebSocket upgrade may carry the token as `?access_token=` instead, since browsers cannot set
 * headers on one.
 */
export function requireToken(db: Database) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const token = bearerToken(c);
    if (!token) throw new ApiError(401, 'unauthorized', 'missing bearer token: send "Authorization: Bearer <token>"');
    const caller = await findCaller(db, token);
    if (!caller) throw new ApiError(401, 'unauthorized', 'invalid or revoked token');
    c.set('caller', caller);
    c.set('token', token);
    await next();
  });
}

/** Who the caller is in the audit log: a user, or the tenant's integration. */
export const actorOf = (caller: Caller): Actor => ({ kind: caller.kind, id: caller.id });

/** Requires the caller's token to carry `permission`; 403 naming it otherwise. */
export function requirePermission(permission: Permission) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    if (!c.var.caller.permissions.includes(permission)) {
      throw new ApiError(403, 'forbidden', `this token lacks the permission ${permission}`);
    }
    await next();
  });
}
