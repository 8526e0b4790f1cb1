import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import { PERMISSIONS, type Permission } from '../common/permissions.ts';
import type { Database } from './client.ts';
import { apiTokens } from './schema.ts';

/** Tokens are stored only as SHA-256 hashes; a leaked table gives away no usable token. */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export const generateToken = (): string => `ar_${randomBytes(24).toString('base64url')}`;

/** The owner that the configured service token (AGENT_RUNS_TOKEN or the dev stack's) acts for. */
export const SERVICE_OWNER_ID = 'default';
const SERVICE_TOKEN_NAME = 'AGENT_RUNS_TOKEN';

/**
 * Makes `token` the service token: valid for SERVICE_OWNER_ID, and the one before it revoked, so
 * changing AGENT_RUNS_TOKEN (or restarting the dev stack, which generates one) rotates it.
 */
export async function installServiceToken(db: Database, token: string): Promise<void> {
  const tokenHash = hashToken(token);
  await db.transaction(async (tx) => {
    await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.name, SERVICE_TOKEN_NAME), ne(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)));
    await storeToken(tx, token, SERVICE_TOKEN_NAME, SERVICE_OWNER_ID, [...PERMISSIONS]);
  });
}

/** Issues a new token acting for `ownerId` with these permissions (all by default) and returns it; only its hash is kept. */
export async function issueToken(db: Database, name: string, ownerId: string, permissions: Permission[] = [...PERMISSIONS]): Promise<string> {
  const token = generateToken();
  await storeToken(db, token, name, ownerId, permissions);
  return token;
}

async function storeToken(db: Pick<Database, 'insert'>, token: string, name: string, ownerId: string, permissions: Permission[]) {
  await db
    .insert(apiTokens)
    .values({ name, ownerId, permissions, tokenHash: hashToken(token) })
    .onConflictDoUpdate({ target: apiTokens.tokenHash, set: { revokedAt: null, permissions } });
}

/** Every token, newest first, without hashes (for `npm run tokens -- list`). */
export function listTokens(db: Database) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      ownerId: apiTokens.ownerId,
      permissions: apiTokens.permissions,
      createdAt: apiTokens.createdAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .orderBy(desc(apiTokens.createdAt));
}

/** Revokes a token by id; false when there is no such unrevoked token. */
export async function revokeToken(db: Database, id: string): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** Who a token acts for and what it may do, or undefined when the token is unknown or revoked. */
export async function findTokenOwner(db: Database, token: string): Promise<{ ownerId: string; permissions: string[] } | undefined> {
  const [row] = await db
    .select({ ownerId: apiTokens.ownerId, permissions: apiTokens.permissions })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)));
  return row;
}
