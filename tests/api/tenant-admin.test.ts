import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/** Within a tenant, admins manage its users (roles) and tokens (personal and integration) through the API. */
describe('tenant administration', () => {
  let stack: TestStack;
  const call = (token: string, url: string, method = 'GET', body?: unknown) =>
    stack.api(url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const admin = (url: string, method = 'GET', body?: unknown) => call(stack.token, url, method, body);

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.close());

  it('adds users with roles and issues their tokens; a change of role takes effect at once; revoked tokens stop working', async () => {
    const added = await admin('/v1/tenant/users/zoe', 'PUT', { role: 'member' });
    expect(added.status).toBe(201);
    const zoe = await added.json();
    expect(zoe).toMatchObject({ id: `${stack.tenantId}:zoe`, name: 'zoe', role: 'member' });
    expect((await (await admin('/v1/tenant/users')).json()).items.map((u: { name: string }) => u.name)).toEqual(['owner', 'zoe']);
    const issued = await admin('/v1/tenant/tokens', 'POST', { name: 'zoe laptop', user: 'zoe' });
    expect(issued.status).toBe(201);
    const { id: tokenId, token } = await issued.json();
    expect(await (await call(token, '/v1/tenant')).json()).toMatchObject({ id: stack.tenantId, you: { id: zoe.id, kind: 'user', role: 'member' } });
    const made = await call(token, '/v1/executions', 'POST', {
      projectId: `zoe-${randomUUID()}`,
      prompt: 'p',
      agentId: 'unattended',
      planMode: 'never',
    });
    expect(made.status).toBe(201);
    expect((await made.json()).ownerId).toBe(zoe.id);

    expect((await admin('/v1/tenant/users/zoe', 'PUT', { role: 'viewer' })).status).toBe(200);
    expect((await call(token, '/v1/executions', 'POST', { projectId: 'x', prompt: 'p' })).status).toBe(403);
    // A member manages nothing of the tenant.
    for (const [url, method, body] of [
      ['/v1/tenant/users', 'GET', undefined],
      ['/v1/tenant/users/eve', 'PUT', { role: 'admin' }],
      ['/v1/tenant/tokens', 'POST', { name: 'mine', user: 'zoe' }],
    ] as const) {
      expect((await call(token, url, method, body)).status, url).toBe(403);
    }
    // Who issued it is kept: an admin who issues a user's token can act as that user.
    expect((await (await admin('/v1/tenant/tokens')).json()).items.find((t: { id: string }) => t.id === tokenId)).toMatchObject({
      userId: zoe.id,
      createdBy: stack.ownerId,
    });
    expect((await admin(`/v1/tenant/tokens/${tokenId}`, 'DELETE')).status).toBe(200);
    expect((await call(token, '/v1/tenant')).status).toBe(401);
    expect((await admin(`/v1/tenant/tokens/${tokenId}`, 'DELETE')).status).toBe(404);
    // The last admin stays one.
    expect((await admin('/v1/tenant/users/owner', 'PUT', { role: 'member' })).status).toBe(409);
    expect((await admin('/v1/tenant/tokens', 'POST', { name: 'x', user: 'nobody' })).status).toBe(404);
  });

  it('issues integration tokens with explicit permissions, never tenant:admin; they work in any project and own what they create', async () => {
    expect((await admin('/v1/tenant/tokens', 'POST', { name: 'bot' })).status).toBe(400);
    expect((await admin('/v1/tenant/tokens', 'POST', { name: 'bot', permissions: ['tenant:admin'] })).status).toBe(400);
    const issued = await (await admin('/v1/tenant/tokens', 'POST', { name: 'slack', permissions: ['execution:read', 'execution:create'] })).json();
    expect(issued).toMatchObject({ userId: null, permissions: ['execution:read', 'execution:create'] });
    expect(await (await call(issued.token, '/v1/tenant')).json()).toMatchObject({
      you: { id: `integration:${issued.id}`, kind: 'integration', role: null },
    });
    // A project the admin made (the integration is no member) takes its work.
    const project = `ops-${randomUUID()}`;
    expect((await admin(`/v1/projects/${project}`, 'PUT', { workspaceTemplate: { type: 'empty' } })).status).toBe(201);
    const made = await call(issued.token, '/v1/executions', 'POST', {
      projectId: project,
      prompt: 'from chat',
      agentId: 'unattended',
      planMode: 'never',
    });
    expect(made.status).toBe(201);
    const execution = await made.json();
    expect(execution.ownerId).toBe(`integration:${issued.id}`);
    expect((await call(issued.token, `/v1/executions/${execution.id}/cancel`, 'POST')).status).toBe(403);
    expect((await admin(`/v1/executions/${execution.id}`)).status).toBe(404);
  });
});
