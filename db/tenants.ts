import { and, eq } from 'drizzle-orm';
import { DEFAULT_AGENT } from '../common/agents.ts';
import type { Role } from '../common/permissions.ts';
import type { Database } from './client.ts';
import { agents, tenants, users } from './schema.ts';

/** The tenant that everything from before tenants belongs to, and the dev stack's. */
export const DEFAULT_TENANT_ID = 'default';

const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Tenant ids and user names: 1-63 lowercase letters, digits, - and _, starting with a letter or digit. */
export const isSlug = (value: string) => SLUG.test(value);

export type UserRow = typeof users.$inferSelect;

/** Not a tenant's id: user ids are `<tenant>:<name>`, and `integration:<token id>` names integration tokens. */
const RESERVED_TENANT_IDS = ['integration'];
export const isTenantId = (value: string) => isSlug(value) && !RESERVED_TENANT_IDS.includes(value);

/** Creates the tenant, with its default agent, unless it exists. */
export async function ensureTenant(db: Database, id: string, name: string = id): Promise<void> {
  if (!isTenantId(id)) throw new Error(`"${id}" cannot be a tenant id: use 1-63 lowercase letters, digits, - and _ (not "integration")`);
  await db.transaction(async (tx) => {
    const created = await tx.insert(tenants).values({ id, name }).onConflictDoNothing().returning({ id: tenants.id });
    if (created.length)
      await tx
        .insert(agents)
        .values({ tenantId: id, ...DEFAULT_AGENT })
        .onConflictDoNothing();
  });
}

/** A user's id: unique across tenants, and readable in the Temporal UI's owner column. */
export const userIdFor = (tenantId: string, name: string) => `${tenantId}:${name}`;

export async function findUser(db: Database, tenantId: string, name: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.name, name)));
  return row;
}

export async function findUserById(db: Database, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

/**
 * The tenant's user `name`, created with `role` when missing (and the tenant with it); an existing
 * user is given `role` when one is named. `id` picks a new user's id (tests; users from before tenants).
 */
export async function ensureUser(db: Database, tenantId: string, name: string, role?: Role, id?: string): Promise<UserRow> {
  await ensureTenant(db, tenantId);
  const existing = await findUser(db, tenantId, name);
  if (existing) {
    if (!role || existing.role === role) return existing;
    const [updated] = await db.update(users).set({ role }).where(eq(users.id, existing.id)).returning();
    return updated!;
  }
  await db
    .insert(users)
    .values({ id: id ?? userIdFor(tenantId, name), tenantId, name, role: role ?? 'member' })
    .onConflictDoNothing();
  const created = await findUser(db, tenantId, name);
  // Only a user from before tenants, whose id was an owner id, can hold the id wanted.
  if (!created) throw new Error(`cannot create user ${name} in tenant ${tenantId}: the id ${id ?? userIdFor(tenantId, name)} is taken`);
  return created;
}
