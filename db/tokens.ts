import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import { isPermission, isRole, PERMISSIONS, type Permission, ROLE_PERMISSIONS, type Role } from '../common/permissions.ts';
import type { Database } from './client.ts';
import { apiTokens, users } from './schema.ts';
import { DEFAULT_TENANT_ID, ensureUser, type UserRow } from './tenants.ts';

/** Tokens are stored only as SHA-256 hashes; a leaked table gives away no usable token. */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export const generateToken = (): string => `ar_${randomBytes(24).toString('base64url')}`;

/** Who a request acts for, from its token. */
export interface Caller {
  tenantId: string;
  /** A user's id, or `integration:<token id>` for the tenant's integration token. */
  id: string;
  kind: 'user' | 'integration';
  /** A user's role (none for an integration token). */
  role?: Role;
  /** What the token may do: its own permissions, within what the user's role allows. */
  permissions: Permission[];
}

/** The integration token `tokenId`'s id as an actor and owner. */
export const integrationId = (tokenId: string) => `integration:${tokenId}`;

/** The admin that the configured service token (AGENT_RUNS_TOKEN or the dev stack's) acts for, in the default tenant. */
export const SERVICE_OWNER_ID = 'default';
const SERVICE_TOKEN_NAME = 'AGENT_RUNS_TOKEN';

/**
 * Makes `token` the service token: valid for SERVICE_OWNER_ID (an admin of the default tenant,
 * created when missing), and the one before it revoked, so changing AGENT_RUNS_TOKEN (or restarting
 * the dev stack, which generates one) rotates it.
 */
export async function installServiceToken(db: Database, token: string): Promise<void> {
  await ensureUser(db, DEFAULT_TENANT_ID, SERVICE_OWNER_ID, 'admin', SERVICE_OWNER_ID);
  const tokenHash = hashToken(token);
  await db.transaction(async (tx) => {
    await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.name, SERVICE_TOKEN_NAME), ne(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)));
    await storeToken(tx, token, { name: SERVICE_TOKEN_NAME, tenantId: DEFAULT_TENANT_ID, userId: SERVICE_OWNER_ID });
  });
}

export interface NewToken {
  name: string;
  tenantId: string;
  /** The user the token belongs to; none: the tenant's integration token. */
  userId?: string;
  /** Every permission by default (a user's role still bounds them). */
  permissions?: Permission[];
  /** The admin who issues it through the API (an operator's has none). */
  createdBy?: string;
}

/** Issues a new token and returns it; only its hash is kept. */
export async function issueToken(db: Database, request: NewToken): Promise<{ id: string; token: string }> {
  const token = generateToken();
  const id = await storeToken(db, token, request);
  return { id, token };
}

/**
 * Issues a token for the tenant's user named `user`, who is created with `role` when missing (the
 * tenant with them); an existing user is given `role` when one is named. For operators (`npm run
 * tokens`), the dev stack and tests.
 */
export async function issueUserToken(
  db: Database,
  request: { tenantId: string; user: string; role?: Role; permissions?: Permission[]; name?: string; userId?: string },
): Promise<{ id: string; token: string; user: UserRow }> {
  const user = await ensureUser(db, request.tenantId, request.user, request.role, request.userId);
  const issued = await issueToken(db, {
    name: request.name ?? user.name,
    tenantId: user.tenantId,
    userId: user.id,
    permissions: request.permissions,
  });
  return { ...issued, user };
}

async function storeToken(db: Pick<Database, 'insert'>, token: string, request: NewToken): Promise<string> {
  const permissions = request.permissions ?? [...PERMISSIONS];
  const [row] = await db
    .insert(apiTokens)
    .values({
      name: request.name,
      tenantId: request.tenantId,
      userId: request.userId ?? null,
      createdBy: request.createdBy ?? null,
      permissions,
      tokenHash: hashToken(token),
    })
    .onConflictDoUpdate({ target: apiTokens.tokenHash, set: { revokedAt: null, permissions } })
    .returning({ id: apiTokens.id });
  return row!.id;
}

/** A tenant's tokens (every tenant's without one), newest first, without hashes. */
export function listTokens(db: Database, tenantId?: string) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      tenantId: apiTokens.tenantId,
      userId: apiTokens.userId,
      createdBy: apiTokens.createdBy,
      permissions: apiTokens.permissions,
      createdAt: apiTokens.createdAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .where(tenantId ? eq(apiTokens.tenantId, tenantId) : undefined)
    .orderBy(desc(apiTokens.createdAt));
}

/** Revokes a token by id (within a tenant, when one is named); false when there is no such unrevoked token. */
export async function revokeToken(db: Database, id: string, tenantId?: string): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt), tenantId ? eq(apiTokens.tenantId, tenantId) : undefined))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** Who a token acts for and what it may do, or undefined when the token is unknown or revoked. */
export async function findCaller(db: Database, token: string): Promise<Caller | undefined> {
  const [row] = await db
    .select({ id: apiTokens.id, tenantId: apiTokens.tenantId, userId: apiTokens.userId, permissions: apiTokens.permissions, role: users.role })
    .from(apiTokens)
    // A user of another tenant than the token's is no user of it: the token then acts for nobody.
    .leftJoin(users, and(eq(users.id, apiTokens.userId), eq(users.tenantId, apiTokens.tenantId)))
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)));
  if (!row) return undefined;
  const granted = row.permissions.filter(isPermission);
  if (!row.userId) {
    return { tenantId: row.tenantId, id: integrationId(row.id), kind: 'integration', permissions: granted.filter((p) => p !== 'tenant:admin') };
  }
  if (!row.role) return undefined;
  const role = isRole(row.role) ? row.role : 'viewer';
  return { tenantId: row.tenantId, id: row.userId, kind: 'user', role, permissions: granted.filter((p) => ROLE_PERMISSIONS[role].includes(p)) };
}
