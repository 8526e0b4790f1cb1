/** What a token may do, named as in the product (seed 001). */
export const PERMISSIONS = ['execution:read', 'execution:create', 'execution:cancel', 'agent:write', 'project:write'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const isPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);
