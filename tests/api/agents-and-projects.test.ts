import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

describe('agents and projects through the API', () => {
  let stack: TestStack;
  const put = (url: string, body: unknown, token?: string) =>
    stack.api(url, {
      method: 'PUT',
      body: JSON.stringify(body),
      ...(token && { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }),
    });

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.close());

  it('creates an agent with defaults, then replaces it', async () => {
    const id = `agent-${Date.now()}`;
    const created = await put(`/v1/agents/${id}`, { name: 'Reviewer', provider: 'demo', model: 'demo' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      id,
      name: 'Reviewer',
      allowedTools: ['read_file', 'write_file', 'edit_file', 'list_files', 'search', 'run_command'],
      toolsNeedingApproval: ['run_command'],
      enabled: true,
      outputSchema: null,
      maxSteps: 50,
      maxCostUsd: 5,
      maxDurationMs: 3_600_000,
    });
    const replaced = await put(`/v1/agents/${id}`, {
      name: 'Reviewer 2',
      provider: 'demo',
      model: 'demo-slow',
      allowedTools: ['read_file'],
      toolsNeedingApproval: [],
    });
    expect(replaced.status).toBe(200);
    const read = await (await stack.api(`/v1/agents/${id}`)).json();
    expect(read).toMatchObject({ name: 'Reviewer 2', model: 'demo-slow', allowedTools: ['read_file'], toolsNeedingApproval: [] });
    const list = await (await stack.api('/v1/agents')).json();
    expect(list.items.map((a: any) => a.id)).toEqual(expect.arrayContaining(['default', id]));
    expect((await stack.api('/v1/agents/nobody')).status).toBe(404);
  });

  it.each([
    ['an unknown provider', { provider: 'acme' }, 'unknown provider "acme"'],
    ['an unknown demo model', { model: 'demo-fast' }, 'has no model "demo-fast"'],
    ['an unknown tool', { allowedTools: ['rm_rf'] }, 'allowedTools.0'],
    [
      'an approval for a tool it cannot use',
      { allowedTools: ['read_file'], toolsNeedingApproval: ['run_command'] },
      'run_command not in allowedTools',
    ],
    ['an invalid output schema', { outputSchema: { type: 'nonsense' } }, 'outputSchema is not a valid JSON Schema'],
    ['a budget of zero steps', { maxSteps: 0 }, 'maxSteps'],
  ])('refuses %s with 400, changing nothing', async (_name, change, message) => {
    const id = `bad-${Date.now()}`;
    const response = await put(`/v1/agents/${id}`, { name: 'x', provider: 'demo', model: 'demo', ...change });
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toContain(message);
    expect((await stack.api(`/v1/agents/${id}`)).status).toBe(404);
  });

  it('refuses a bad agent id, and needs agent:write', async () => {
    expect((await put('/v1/agents/Bad%20Id', { name: 'x', provider: 'demo', model: 'demo' })).status).toBe(400);
    const reader = (await stack.tokenFor('owner', { permissions: ['execution:read'] })).token;
    const refused = await put('/v1/agents/anything', { name: 'x', provider: 'demo', model: 'demo' }, reader);
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.message).toContain('agent:write');
  });

  it('sets a project workspace template, refusing relative paths', async () => {
    const project = `proj-${Date.now()}`;
    expect((await stack.api(`/v1/projects/${project}`)).status).toBe(404);
    const saved = await put(`/v1/projects/${project}`, { workspaceTemplate: { type: 'git', url: 'https://example.invalid/repo.git', ref: 'main' } });
    expect(saved.status).toBe(201);
    expect((await saved.json()).members).toEqual([{ userId: stack.ownerId, addedAt: expect.any(String) }]);
    expect(
      (await put(`/v1/projects/${project}`, { workspaceTemplate: { type: 'git', url: 'https://example.invalid/repo.git', ref: 'main' } })).status,
    ).toBe(200);
    expect((await (await stack.api(`/v1/projects/${project}`)).json()).workspaceTemplate).toEqual({
      type: 'git',
      url: 'https://example.invalid/repo.git',
      ref: 'main',
    });
    const relative = await put(`/v1/projects/${project}`, { workspaceTemplate: { type: 'path', path: 'relative/dir' } });
    expect(relative.status).toBe(400);
    const unknown = await put(`/v1/projects/${project}`, { workspaceTemplate: { type: 'ftp' } });
    expect(unknown.status).toBe(400);
    const reader = (await stack.tokenFor('owner', { permissions: ['execution:read'] })).token;
    expect((await put(`/v1/projects/${project}`, { workspaceTemplate: { type: 'empty' } }, reader)).status).toBe(403);
  });
});
