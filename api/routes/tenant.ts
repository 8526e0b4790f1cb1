import { and, asc, eq, ne } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { handOutTenantRoom } from '../../activities/project-slots.ts';
import { INTEGRATION_PERMISSIONS, PERMISSIONS, ROLES } from '../../common/permissions.ts';
import { DEFAULT_MAX_RUNNING, DEFAULT_MAX_RUNNING_PER_USER } from '../../db/project-slots.ts';
import { tenants, users } from '../../db/schema.ts';
import { ensureUser, findUser, isSlug } from '../../db/tenants.ts';
import { issueToken, listTokens, revokeToken } from '../../db/tokens.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { isUuid } from '../execution-access.ts';
import { nonBlank, readJsonBody, readOptionalJson, validate } from '../validation.ts';
import { agentId } from './agents.ts';

const agentIds = z.array(agentId).max(1000);
const cap = z.number().int().min(1).max(100_000).nullable();
/** What is given changes; `null` caps go back to the defaults. */
const policyBody = z.strictObject({ disabledAgents: agentIds.optional(), maxRunning: cap.optional(), maxRunningPerUser: cap.optional() });
const userBody = z.strictObject({ role: z.enum(ROLES) });
const tokenBody = z.strictObject({
  name: nonBlank(200),
  /** The user (by name) the token is for; none: an integration token of the tenant. */
  user: nonBlank(63).optional(),
  permissions: z.array(z.enum(PERMISSIONS)).min(1).optional(),
});

/** A tenant's policy: agents disabled everywhere in it, and its concurrency caps (the defaults when unset). */
const policyView = (tenant: typeof tenants.$inferSelect) => ({
  id: tenant.id,
  disabledAgents: tenant.disabledAgents,
  maxRunning: tenant.maxRunning ?? DEFAULT_MAX_RUNNING,
  maxRunningPerUser: tenant.maxRunningPerUser ?? DEFAULT_MAX_RUNNING_PER_USER,
});

/**
 * The caller's tenant: `GET /v1/tenant` for everyone in it; its policy (agents disabled for the whole
 * tenant), users and tokens for its admins (tenant:admin).
 */
export function tenantRoutes({ db, client }: AppDeps) {
  const admin = requirePermission('tenant:admin');
  const userView = (user: typeof users.$inferSelect) => ({ id: user.id, name: user.name, role: user.role, createdAt: user.createdAt.toISOString() });

  return new Hono<AuthEnv>()
    .get('/', requirePermission('execution:read'), async (c) => {
      const { caller } = c.var;
      const [tenant] = await db.select().from(tenants).where(eq(tenants.id, caller.tenantId));
      return c.json({
        ...policyView(tenant!),
        name: tenant!.name,
        you: { id: caller.id, kind: caller.kind, role: caller.role ?? null, permissions: caller.permissions },
      });
    })
    .put('/policy', admin, async (c) => {
      const { disabledAgents, maxRunning, maxRunningPerUser } = await readJsonBody(c, policyBody);
      const changes = {
        ...(disabledAgents && { disabledAgents: [...new Set(disabledAgents)] }),
        ...(maxRunning !== undefined && { maxRunning }),
        ...(maxRunningPerUser !== undefined && { maxRunningPerUser }),
      };
      const [tenant] = Object.keys(changes).length
        ? await db.update(tenants).set(changes).where(eq(tenants.id, c.var.caller.tenantId)).returning()
        : await db.select().from(tenants).where(eq(tenants.id, c.var.caller.tenantId));
      if (maxRunning !== undefined || maxRunningPerUser !== undefined) {
        // Raised caps make room now; should telling the waiters fail, each finds its slot when it next asks.
        await handOutTenantRoom(db, client, c.var.caller.tenantId).catch((err) =>
          console.warn(`[api] handing out room after a cap change in ${c.var.caller.tenantId} failed: ${(err as Error).message}`),
        );
      }
      return c.json(policyView(tenant!));
    })
    .get('/users', admin, async (c) => {
      const rows = await db.select().from(users).where(eq(users.tenantId, c.var.caller.tenantId)).orderBy(asc(users.name));
      return c.json({ items: rows.map(userView) });
    })
    .put('/users/:name', admin, async (c) => {
      const name = c.req.param('name');
      if (!isSlug(name)) throw new ApiError(400, 'invalid_request', 'user name must be 1-63 lowercase letters, digits, - and _');
      const { role } = await readJsonBody(c, userBody);
      const { tenantId } = c.var.caller;
      const existing = await findUser(db, tenantId, name);
      if (existing?.role === 'admin' && role !== 'admin') {
        // Demotions of admins take turns (the tenant's row locked): two admins demoting each other leave one.
        const demoted = await db.transaction(async (tx) => {
          await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).for('update');
          const [other] = await tx
            .select({ id: users.id })
            .from(users)
            .where(and(eq(users.tenantId, tenantId), eq(users.role, 'admin'), ne(users.id, existing.id)))
            .limit(1);
          if (!other) return undefined;
          const [row] = await tx.update(users).set({ role }).where(eq(users.id, existing.id)).returning();
          return row;
        });
        if (!demoted) throw new ApiError(409, 'invalid_state', `${existing.id} is the tenant's last admin`);
        return c.json(userView(demoted));
      }
      const user = await ensureUser(db, tenantId, name, role);
      return c.json(userView(user), existing ? 200 : 201);
    })
    .get('/tokens', admin, async (c) => {
      const rows = await listTokens(db, c.var.caller.tenantId);
      return c.json({
        items: rows.map((t) => ({ ...t, createdAt: t.createdAt.toISOString(), revokedAt: t.revokedAt?.toISOString() ?? null })),
      });
    })
    .post('/tokens', admin, async (c) => {
      const body = await readJsonBody(c, tokenBody);
      const { tenantId } = c.var.caller;
      if (body.user === undefined) {
        const permissions = body.permissions ?? [];
        if (!permissions.length) throw new ApiError(400, 'invalid_request', 'permissions: an integration token needs at least one');
        const refused = permissions.filter((p) => !(INTEGRATION_PERMISSIONS as readonly string[]).includes(p));
        if (refused.length) throw new ApiError(400, 'invalid_request', `permissions: an integration token cannot have ${refused.join(', ')}`);
        const issued = await issueToken(db, { name: body.name, tenantId, permissions, createdBy: c.var.caller.id });
        return c.json({ ...issued, name: body.name, userId: null, permissions }, 201);
      }
      const user = await findUser(db, tenantId, body.user);
      if (!user) throw new ApiError(404, 'not_found', `no user ${body.user} in this tenant (PUT /v1/tenant/users/${body.user} adds one)`);
      // Recorded: an admin who issues a user's token can act as that user, and the log says who did.
      const issued = await issueToken(db, { name: body.name, tenantId, userId: user.id, permissions: body.permissions, createdBy: c.var.caller.id });
      return c.json({ ...issued, name: body.name, userId: user.id, permissions: body.permissions ?? [...PERMISSIONS] }, 201);
    })
    .delete('/tokens/:id', admin, async (c) => {
      validate(z.strictObject({}), await readOptionalJson(c));
      const id = c.req.param('id');
      if (!isUuid(id) || !(await revokeToken(db, id, c.var.caller.tenantId))) throw new ApiError(404, 'not_found', `no active token ${id}`);
      return c.json({ id, revoked: true });
    });
}
