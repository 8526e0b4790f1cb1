/** What a token may do, named as in the product (seed 001). */
export const PERMISSIONS = ['execution:read', 'execution:create', 'execution:cancel', 'agent:write', 'project:write', 'tenant:admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const isPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);

/** A user's place in their tenant. */
export const ROLES = ['admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/**
 * What each role may do. Admins manage the tenant (members, tokens, policy), its agents and all its
 * projects, change who may see any of its executions and stop any of them; members run and stop their
 * work and set up projects; viewers read what is shared with them.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  member: ['execution:read', 'execution:create', 'execution:cancel', 'project:write'],
  viewer: ['execution:read'],
};

/** What an integration token (a chat or ticketing bot) may be given: anything but managing the tenant. */
/** Whether the caller acts as an admin of its tenant: by its token's permissions (a narrowed admin token does not). */
export const isTenantAdmin = (caller: { permissions: readonly Permission[] }) => caller.permissions.includes('tenant:admin');

export const INTEGRATION_PERMISSIONS = PERMISSIONS.filter((p) => p !== 'tenant:admin');
