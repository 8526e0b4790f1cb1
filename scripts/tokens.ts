// `npm run tokens -- <command>`: manage tenants' users and API tokens. Tokens are shown once, at
// creation; only their SHA-256 hash is stored. Uses DATABASE_URL, or the embedded database under
// DATA_DIR (stop the dev stack first: the embedded database belongs to one process at a time).
//
//   npm run tokens -- create --tenant acme --user alice --role admin [--permissions …] [--name laptop]
//   npm run tokens -- create --tenant acme --integration slack --permissions execution:read,execution:create
//   npm run tokens -- list [--tenant acme]
//   npm run tokens -- revoke <token-id>
import { parseArgs } from 'node:util';
import { isUuid } from '../api/execution-access.ts';
import { loadConfig } from '../common/config.ts';
import { INTEGRATION_PERMISSIONS, isPermission, isRole, PERMISSIONS, type Permission, ROLES } from '../common/permissions.ts';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { DEFAULT_TENANT_ID, ensureTenant, isSlug, isTenantId } from '../db/tenants.ts';
import { issueToken, issueUserToken, listTokens, revokeToken } from '../db/tokens.ts';

const usage = `usage:
  npm run tokens -- create [--tenant <tenant>] --user <user> [--role <${ROLES.join('|')}>] [--permissions <${PERMISSIONS.join(',')}>] [--name <label>]
  npm run tokens -- create [--tenant <tenant>] --integration <name> --permissions <${INTEGRATION_PERMISSIONS.join(',')}>
  npm run tokens -- list [--tenant <tenant>]
  npm run tokens -- revoke <token-id>
The tenant (default "${DEFAULT_TENANT_ID}") and the user are created when missing; a new user is a member unless --role says otherwise.`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    tenant: { type: 'string' },
    user: { type: 'string' },
    integration: { type: 'string' },
    role: { type: 'string' },
    permissions: { type: 'string' },
    name: { type: 'string' },
  },
});
const fail = (message: string): never => {
  console.error(`${message}\n${usage}`);
  process.exit(2);
};

function permissionsOption(): Permission[] | undefined {
  if (values.permissions === undefined) return undefined;
  const requested = values.permissions.split(',').map((p) => p.trim());
  const unknown = requested.filter((p) => !isPermission(p));
  if (unknown.length) fail(`unknown permission(s): ${unknown.join(', ')}`);
  return requested as Permission[];
}

const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  await migrateDatabase(database);
  const [command, argument] = positionals;
  const tenantId = values.tenant?.trim() || DEFAULT_TENANT_ID;
  if (!isTenantId(tenantId)) fail(`tenant "${tenantId}" must be 1-63 lowercase letters, digits, - and _ (and not "integration")`);
  if (command === 'create') {
    const permissions = permissionsOption();
    if (values.integration !== undefined) {
      if (values.user !== undefined || values.role !== undefined) fail('--integration takes no --user or --role');
      const name = values.integration.trim() || fail('--integration needs a name');
      if (!permissions?.length) fail('--permissions is required for an integration token');
      if (permissions!.includes('tenant:admin')) fail('an integration token cannot have tenant:admin');
      await ensureTenant(database.db, tenantId);
      const { id, token } = await issueToken(database.db, { name, tenantId, permissions });
      console.log(`integration token ${id} "${name}" of tenant ${tenantId} (${permissions!.join(', ')}); it is shown only this once:\n${token}`);
    } else {
      const user = values.user?.trim() || fail('--user (or --integration) is required');
      if (!isSlug(user)) fail(`user "${user}" must be 1-63 lowercase letters, digits, - and _`);
      const role = values.role === undefined ? undefined : isRole(values.role) ? values.role : fail(`unknown role ${values.role}`);
      const issued = await issueUserToken(database.db, { tenantId, user, role, permissions, name: values.name });
      const what = permissions ? permissions.join(', ') : 'every permission of the role';
      console.log(`token for ${issued.user.id} (${issued.user.role} of ${tenantId}; ${what}); it is shown only this once:\n${issued.token}`);
    }
  } else if (command === 'list') {
    for (const t of await listTokens(database.db, values.tenant ? tenantId : undefined)) {
      const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active';
      console.log(`${t.id}  ${t.tenantId}  ${t.userId ?? '(integration)'}  ${t.name}  [${t.permissions.join(',')}]  ${state}`);
    }
  } else if (command === 'revoke') {
    const id = argument ?? fail('revoke needs a token id (see list)');
    if (!isUuid(id) || !(await revokeToken(database.db, id))) fail(`no active token ${id}`);
    console.log(`revoked ${id}`);
  } else {
    fail(command ? `unknown command ${command}` : 'a command is required');
  }
} finally {
  await database.close();
}
