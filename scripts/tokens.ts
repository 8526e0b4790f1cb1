// `npm run tokens -- <command>`: manage API tokens. Tokens are shown once, at creation; only their
// SHA-256 hash is stored. Uses DATABASE_URL, or the embedded database under DATA_DIR (stop the dev
// stack first: the embedded database belongs to one process at a time).
//
//   npm run tokens -- create --user alice --permissions execution:read,execution:create [--name laptop]
//   npm run tokens -- list
//   npm run tokens -- revoke <token-id>
import { parseArgs } from 'node:util';
import { isUuid } from '../api/own-execution.ts';
import { loadConfig } from '../common/config.ts';
import { isPermission, PERMISSIONS, type Permission } from '../common/permissions.ts';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { issueToken, listTokens, revokeToken } from '../db/tokens.ts';

const usage = `usage:
  npm run tokens -- create --user <user> --permissions <${PERMISSIONS.join(',')}> [--name <label>]
  npm run tokens -- list
  npm run tokens -- revoke <token-id>`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { user: { type: 'string' }, permissions: { type: 'string' }, name: { type: 'string' } },
});
const fail = (message: string): never => {
  console.error(`${message}\n${usage}`);
  process.exit(2);
};

const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  await migrateDatabase(database);
  const [command, argument] = positionals;
  if (command === 'create') {
    const user = values.user?.trim() || fail('--user is required');
    const requested = (values.permissions ?? fail('--permissions is required')).split(',').map((p) => p.trim());
    const unknown = requested.filter((p) => !isPermission(p));
    if (unknown.length) fail(`unknown permission(s): ${unknown.join(', ')}`);
    const token = await issueToken(database.db, values.name ?? user, user, requested as Permission[]);
    console.log(`token for ${user} (${requested.join(', ')}); it is shown only this once:\n${token}`);
  } else if (command === 'list') {
    for (const t of await listTokens(database.db)) {
      const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active';
      console.log(`${t.id}  ${t.ownerId}  ${t.name}  [${t.permissions.join(',')}]  ${state}`);
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
