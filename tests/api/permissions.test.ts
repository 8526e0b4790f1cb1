import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Permission } from '../../common/permissions.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

// Tokens carry permissions named as in the product: execution:read, execution:create, execution:cancel.
describe('token permissions', () => {
  let stack: TestStack;
  let executionId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const response = await stack.api('/v1/executions', {
      method: 'POST',
      body: JSON.stringify({ projectId: 'perm', prompt: 'hold', planMode: 'always' }),
    });
    executionId = (await response.json()).id;
    await stack.waitForStatus(executionId, 'awaiting_approval');
  });
  afterAll(() => stack?.close());

  const as = async (permissions: Permission[]) => {
    const token = (await stack.tokenFor('owner', { permissions: permissions })).token;
    return (p: string, method = 'GET', body?: unknown) =>
      stack.api(p, { method, headers: { authorization: `Bearer ${token}` }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  };
  const expectForbidden = async (response: Response, permission: string) => {
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: 'forbidden', message: `this token lacks the permission ${permission}` } });
  };

  it('a read-only token reads, and is refused create, decisions and cancel with 403 naming the permission', async () => {
    const reader = await as(['execution:read']);
    expect((await reader(`/v1/executions/${executionId}`)).status).toBe(200);
    expect((await reader('/v1/executions')).status).toBe(200);
    await expectForbidden(await reader('/v1/executions', 'POST', { projectId: 'p', prompt: 'x' }), 'execution:create');
    await expectForbidden(await reader(`/v1/executions/${executionId}/plan/approve`, 'POST'), 'execution:create');
    await expectForbidden(await reader(`/v1/executions/${executionId}/messages`, 'POST', { text: 'x' }), 'execution:create');
    await expectForbidden(await reader(`/v1/executions/${executionId}/cancel`, 'POST'), 'execution:cancel');
    expect((await stack.api(`/v1/executions/${executionId}`)).status).toBe(200);
    expect((await (await stack.api(`/v1/executions/${executionId}`)).json()).status).toBe('awaiting_approval');
  });

  it('a create-only token may not read or cancel; a cancel token may cancel', async () => {
    const creator = await as(['execution:create']);
    await expectForbidden(await creator(`/v1/executions/${executionId}`), 'execution:read');
    await expectForbidden(await creator(`/v1/executions/${executionId}/cancel`, 'POST'), 'execution:cancel');
    const canceller = await as(['execution:cancel']);
    expect((await canceller(`/v1/executions/${executionId}/cancel`, 'POST')).status).toBe(200);
    await stack.waitForStatus(executionId, 'cancelled');
  });

  it('npm run tokens creates a token shown once, lists it without the secret, and revokes it', () => {
    const env = { ...process.env, DATABASE_URL: inject('databaseUrl') };
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/tokens.ts', ...args], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });

    const created = run('create', '--user', 'alice', '--permissions', 'execution:read,execution:create');
    expect(created.status, created.stderr).toBe(0);
    const token = /\n(ar_\S+)/.exec(created.stdout)![1]!;
    const listed = run('list');
    const line = listed.stdout.split('\n').find((l) => l.includes(' alice ') && l.includes('active'))!;
    expect(line).toContain('[execution:read,execution:create]');
    expect(listed.stdout).not.toContain(token);

    const id = line.split(/\s+/)[0]!;
    expect(run('revoke', id).status).toBe(0);
    expect(run('list').stdout).toMatch(new RegExp(`${id} .*revoked`));
    expect(run('revoke', id).status).toBe(2);
    expect(run('create', '--user', 'bob', '--permissions', 'execution:everything').stderr).toContain('unknown permission(s): execution:everything');
  });
});
