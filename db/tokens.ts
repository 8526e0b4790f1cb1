import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, ne } from 'drizzle-orm';
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
    await storeToken(tx, token, SERVICE_TOKEN_NAME, SERVICE_OWNER_ID);
  });
}

/** Issues a new token acting for `ownerId` and returns it; only its hash is kept. */
export async function issueToken(db: Database, name: string, ownerId: string): Promise<string> {
  const token = generateToken();
  await storeToken(db, token, name, ownerId);
  return token;
}

async function storeToken(db: Pick<Database, 'insert'>, token: string, name: string, ownerId: string): Promise<void> {
  await db
    .insert(apiTokens)
    .values({ name, ownerId, tokenHash: hashToken(token) })
    .onConflictDoUpdate({ target: apiTokens.tokenHash, set: { revokedAt: null } });
}

/** The owner a token acts for, or undefined when the token is unknown or revoked. */
export async function findTokenOwner(db: Database, token: string): Promise<string | undefined> {
  const [row] = await db
    .select({ ownerId: apiTokens.ownerId })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)));
  return row?.ownerId;
}
