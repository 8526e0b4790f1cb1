import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack, UNATTENDED_AGENT } from '../helpers/test-stack.ts';

/**
 * Seed 000's policy: an agent disabled for the tenant, for a project (or left out of a project's
 * allowed agents), or by itself creates no run, and the error names the disabling scope; disabled
 * mid-run, the run under way finishes and no new one starts (seed 003: "that specific in-progress run
 * will still finish"). Admins change policy.
 */
describe('agent policy: disabled by scope', () => {
  let stack: TestStack;
  let member: string;
  const put = (url: string, body: unknown, token = stack.token) =>
    stack.api(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const agent = async (id: string, fields: Record<string, unknown> = {}) =>
    expect((await put(`/v1/agents/${id}`, { ...UNATTENDED_AGENT, id: undefined, ...fields })).status).toBeLessThan(300);
  const create = (body: Record<string, unknown>) =>
    stack.api('/v1/executions', { method: 'POST', body: JSON.stringify({ planMode: 'never', prompt: 'p', ...body }) });
  const count = async () => (await (await stack.api('/v1/executions?limit=100')).json()).items.length;

  beforeAll(async () => {
    stack = await startTestStack();
    member = (await stack.tokenFor('mia')).token;
  });
  afterAll(() => stack?.close());

  it('refuses with 422 naming the scope, for each of the three, and creates nothing', async () => {
    const project = `policy-${randomUUID()}`;
    await agent('self-off', { enabled: false });
    await agent('tenant-off');
    await agent('project-off');
    await agent('not-allowed');
    await agent('allowed');
    expect((await put('/v1/tenant/policy', { disabledAgents: ['tenant-off'] })).status).toBe(200);
    expect((await put(`/v1/projects/${project}`, { workspaceTemplate: { type: 'empty' } })).status).toBe(201);
    const policy = await put(`/v1/projects/${project}/policy`, {
      disabledAgents: ['project-off'],
      allowedAgents: ['allowed', 'project-off', 'tenant-off'],
    });
    expect(await policy.json()).toMatchObject({ disabledAgents: ['project-off'], allowedAgents: ['allowed', 'project-off', 'tenant-off'] });

    const before = await count();
    const refusals: Array<[string, string, string]> = [
      ['self-off', 'agent', 'self-off'],
      ['tenant-off', 'tenant', stack.tenantId],
      ['project-off', 'project', project],
      ['not-allowed', 'project', project],
    ];
    for (const [agentId, scope, scopeId] of refusals) {
      const refused = await create({ projectId: project, agentId });
      expect(refused.status, agentId).toBe(422);
      const { error } = await refused.json();
      expect(error, agentId).toEqual({ code: 'agent_disabled', scope, scopeId, message: expect.stringContaining(agentId) });
    }
    // The tenant's policy holds in every project; an agent the project allows runs.
    const elsewhere = await create({ projectId: `other-${randomUUID()}`, agentId: 'tenant-off' });
    expect((await elsewhere.json()).error).toMatchObject({ scope: 'tenant' });
    expect(await count()).toBe(before);
    const allowed = await create({ projectId: project, agentId: 'allowed' });
    expect(allowed.status).toBe(201);
    await stack.waitForStatus((await allowed.json()).id, 'completed');
    // Agent ids as agents have them; only admins change policy.
    expect((await put('/v1/tenant/policy', { disabledAgents: ['Default'] })).status).toBe(400);
    expect((await put(`/v1/projects/${project}/policy`, { allowedAgents: ['not an id'] })).status).toBe(400);
    expect((await put('/v1/tenant/policy', { disabledAgents: [] }, member)).status).toBe(403);
    expect((await put(`/v1/projects/${project}/policy`, { disabledAgents: [] }, member)).status).toBe(403);
    expect((await (await stack.api('/v1/tenant')).json()).disabledAgents).toEqual(['tenant-off']);
    expect((await put('/v1/tenant/policy', { disabledAgents: [] })).status).toBe(200);
  });

  it('lets the run under way finish when its agent is disabled, starts no new one, and ends a queued run with a clear outcome', async () => {
    const project = `midrun-${randomUUID()}`;
    await agent('slowpoke', { model: 'demo-slow' });
    const running = await stack.createExecution({ projectId: project, prompt: 'take your time', agentId: 'slowpoke', planMode: 'never' });
    await stack.waitForStatus(running, 'running');
    const queued = await stack.createExecution({ projectId: project, prompt: 'after you', agentId: 'slowpoke', planMode: 'never' });
    await stack.waitForStatus(queued, 'queued');
    await agent('slowpoke', { model: 'demo-slow', enabled: false });

    expect((await stack.waitForStatus(running, 'completed', 'failed')).status).toBe('completed');
    const ended = await stack.waitForStatus(queued, 'completed', 'failed', 'cancelled');
    expect(ended.status).toBe('failed');
    expect(ended.runs[0].error).toMatchObject({ type: 'agent_disabled', message: expect.stringContaining('slowpoke') });
    const again = await stack.post(`/v1/executions/${running}/messages`, { text: 'one more thing' });
    expect(again.status).toBe(422);
    expect((await again.json()).error).toMatchObject({ code: 'agent_disabled', scope: 'agent', scopeId: 'slowpoke' });
    expect((await stack.post(`/v1/executions/${queued}/retry`)).status).toBe(422);
  });
});
