import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueUserToken } from '../../db/tokens.ts';
import { runWorkflowId } from '../../workflows/definitions.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Tenants keep apart what was shared before: projects, agents and executions are a tenant's, a project
 * is its members', and a template reads no folder outside the operator's root, never the data folder.
 * A is the stack's admin, bob a member of A's tenant, and mallory the admin of another tenant.
 */
describe('tenants, projects and templates: what another owner could do before', () => {
  let stack: TestStack;
  let mallory: string;
  let bob: { token: string; userId: string };
  const projectOfA = `a-project-${randomUUID()}`;
  let executionOfA: string;
  let scratch: string;

  const as =
    (token: string) =>
    (url: string, init: RequestInit = {}) =>
      stack.api(url, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const put = (token: string, url: string, body: unknown) => as(token)(url, { method: 'PUT', body: JSON.stringify(body) });
  const create = (token: string, body: Record<string, unknown>) => as(token)('/v1/executions', { method: 'POST', body: JSON.stringify(body) });

  beforeAll(async () => {
    stack = await startTestStack();
    scratch = stack.templateDir('tenants-test-');
    mallory = (await issueUserToken(stack.database.db, { tenantId: `other-${randomUUID()}`, user: 'mallory', role: 'admin' })).token;
    bob = await stack.tokenFor('bob');
    fs.writeFileSync(path.join(scratch, 'README.md'), 'A template folder.\n');
    expect((await put(stack.token, `/v1/projects/${projectOfA}`, { workspaceTemplate: { type: 'path', path: scratch } })).status).toBe(201);
    executionOfA = await stack.createExecution({ projectId: projectOfA, prompt: 'write notes', planMode: 'never' });
    await stack.waitForStatus(executionOfA, 'completed');
  });
  afterAll(async () => {
    await stack?.close();
  });

  const workspaceOfA = () => path.join(stack.dataDir, 'workspaces', executionOfA);

  it("refuses a path template that reaches another execution's workspace, or lies outside the operator's root", async () => {
    expect(fs.existsSync(workspaceOfA())).toBe(true);
    for (const token of [mallory, bob.token, stack.token]) {
      const reaching = await put(token, `/v1/projects/steal-${randomUUID()}`, { workspaceTemplate: { type: 'path', path: workspaceOfA() } });
      expect(reaching.status).toBe(400);
      expect((await reaching.json()).error.message).toMatch(/must be under \/tmp\/(test|other)-/);
    }
    const outside = await put(mallory, `/v1/projects/etc-${randomUUID()}`, { workspaceTemplate: { type: 'path', path: '/etc' } });
    expect(outside.status).toBe(400);
    expect((await outside.json()).error.message).toContain(`must be under ${os.tmpdir()}/`);
    // Each tenant has its own folder under the root: another tenant's templates are out of reach.
    const theirs = await put(mallory, `/v1/projects/etc-${randomUUID()}`, { workspaceTemplate: { type: 'path', path: scratch } });
    expect(theirs.status).toBe(400);
    expect((await theirs.json()).error.message).toMatch(/must be under \/.*other-/);
    // Nothing was created by the refusals.
    const count = await stack.database.db.execute(sql`select count(*)::int as n from projects where id like 'steal-%' or id like 'etc-%'`);
    expect(rowsOf(count)).toEqual([{ n: 0 }]);
  });

  it('refuses, when the run prepares, a template folder that links into the data folder (the API saw only its name)', async () => {
    const link = path.join(scratch, `link-${randomUUID()}`);
    fs.symlinkSync(workspaceOfA(), link);
    const project = `linked-${randomUUID()}`;
    expect((await put(bob.token, `/v1/projects/${project}`, { workspaceTemplate: { type: 'path', path: link } })).status).toBe(201);
    const created = await create(bob.token, { projectId: project, prompt: 'read the notes', planMode: 'never' });
    expect(created.status).toBe(201);
    const id = (await created.json()).id;
    const done = await waitForEnd(as(bob.token), id);
    expect(done.status).toBe('failed');
    expect(done.runs[0].error).toMatchObject({
      type: 'template_refused',
      message: expect.stringContaining(`must be under ${os.tmpdir()}/test-`),
    });
    expect(fs.existsSync(path.join(stack.dataDir, 'workspaces', id))).toBe(false);
  });

  it('refuses git templates that clone from this machine outside the root, and transports git does not need', async () => {
    for (const url of [
      `file://${workspaceOfA()}`,
      workspaceOfA(),
      'file:///etc',
      'ext::sh -c touch% /tmp/pwned',
      'relative/repo',
      `git@localhost:${workspaceOfA()}`,
      `ssh://127.0.0.1/${workspaceOfA()}`,
      'ssh://-oProxyCommand=touch% /tmp/pwned/x',
    ]) {
      const response = await put(mallory, `/v1/projects/git-${randomUUID()}`, { workspaceTemplate: { type: 'git', url } });
      expect(response.status, url).toBe(400);
    }
  });

  it("keeps another tenant's project and agent apart: the same names are its own", async () => {
    const theirs = await put(mallory, `/v1/projects/${projectOfA}`, { workspaceTemplate: { type: 'empty' } });
    expect(theirs.status).toBe(201);
    expect((await (await as(stack.token)(`/v1/projects/${projectOfA}`)).json()).workspaceTemplate).toEqual({ type: 'path', path: scratch });
    expect((await (await as(mallory)(`/v1/projects/${projectOfA}`)).json()).workspaceTemplate).toEqual({ type: 'empty' });

    const unguarded = { name: 'No questions asked', provider: 'demo', model: 'demo', toolsNeedingApproval: [] };
    expect((await put(mallory, '/v1/agents/default', unguarded)).status).toBe(200);
    expect((await (await as(mallory)('/v1/agents/default')).json()).toolsNeedingApproval).toEqual([]);
    expect((await (await as(stack.token)('/v1/agents/default')).json()).toolsNeedingApproval).toEqual(['run_command']);
    // Within the tenant, agents are the admins' to change.
    const byMember = await put(bob.token, '/v1/agents/default', unguarded);
    expect(byMember.status).toBe(403);
    expect((await byMember.json()).error.message).toContain('agent:write');
    expect((await (await as(stack.token)('/v1/agents/default')).json()).toolsNeedingApproval).toEqual(['run_command']);
  });

  it("lets only a project's members (and the tenant's admins) change it or run work in it", async () => {
    expect((await as(bob.token)(`/v1/projects/${projectOfA}`)).status).toBe(404);
    expect((await put(bob.token, `/v1/projects/${projectOfA}`, { workspaceTemplate: { type: 'empty' } })).status).toBe(404);
    expect((await create(bob.token, { projectId: projectOfA, prompt: 'sneak in', agentId: 'unattended' })).status).toBe(404);
    expect((await (await as(stack.token)(`/v1/projects/${projectOfA}`)).json()).workspaceTemplate).toEqual({ type: 'path', path: scratch });

    const added = await put(stack.token, `/v1/projects/${projectOfA}/members/${encodeURIComponent(bob.userId)}`, {});
    expect(added.status).toBe(201);
    expect((await added.json()).members.map((m: { userId: string }) => m.userId)).toEqual([stack.ownerId, bob.userId]);
    const bobs = await create(bob.token, { projectId: projectOfA, prompt: 'now as a member', agentId: 'unattended', planMode: 'never' });
    expect(bobs.status).toBe(201);
    const bobsId = (await bobs.json()).id;
    await waitForEnd(as(bob.token), bobsId);
    // A member of another tenant cannot be added: no such user here.
    expect((await put(stack.token, `/v1/projects/${projectOfA}/members/${encodeURIComponent(`other:mallory`)}`, {})).status).toBe(404);
    expect((await as(stack.token)(`/v1/projects/${projectOfA}/members/${encodeURIComponent(bob.userId)}`, { method: 'DELETE' })).status).toBe(200);
    expect((await create(bob.token, { projectId: projectOfA, prompt: 'after removal', agentId: 'unattended' })).status).toBe(404);
    // A project nobody has yet is created on first use, its creator its member.
    const fresh = `bobs-own-${randomUUID()}`;
    expect((await create(bob.token, { projectId: fresh, prompt: 'mine', agentId: 'unattended', planMode: 'never' })).status).toBe(201);
    expect((await (await as(bob.token)(`/v1/projects/${fresh}`)).json()).members.map((m: { userId: string }) => m.userId)).toEqual([bob.userId]);
    const reader = await stack.tokenFor('rita', { role: 'viewer' });
    const refused = await create(reader.token, { projectId: `viewer-${randomUUID()}`, prompt: 'x' });
    expect(refused.status).toBe(403);
  });

  it('stops a member who left from starting work there again, lets an admin stop what blocks a project, and only admins remove others', async () => {
    const project = `shared-${randomUUID()}`;
    const dave = await stack.tokenFor('dave');
    const erin = await stack.tokenFor('erin');
    expect((await create(dave.token, { projectId: project, prompt: 'first', agentId: 'unattended', planMode: 'never' })).status).toBe(201);
    expect((await put(dave.token, `/v1/projects/${project}/members/${encodeURIComponent(erin.userId)}`, {})).status).toBe(201);
    const blocking = await create(erin.token, { projectId: project, prompt: 'hold the slot', approvalTimeout: '30d' });
    const blockingId = (await blocking.json()).id;
    await waitForStatus(as(erin.token), blockingId, 'awaiting_approval');
    const done = await create(erin.token, { projectId: project, prompt: 'done soon', agentId: 'unattended', planMode: 'never' });
    const doneId = (await done.json()).id;
    // A member cannot lock the others out; an admin removes one; the one removed cannot start work there again.
    const members = `/v1/projects/${project}/members/${encodeURIComponent(dave.userId)}`;
    expect((await as(erin.token)(members, { method: 'DELETE' })).status).toBe(403);
    expect((await as(stack.token)(`/v1/projects/${project}/members/${encodeURIComponent(erin.userId)}`, { method: 'DELETE' })).status).toBe(200);
    // The admin cannot read erin's execution, but stops it: it held the project's slot.
    expect((await as(stack.token)(`/v1/executions/${blockingId}`)).status).toBe(404);
    expect((await as(stack.token)(`/v1/executions/${blockingId}/cancel`, { method: 'POST' })).status).toBe(200);
    expect((await waitForEnd(as(erin.token), blockingId)).status).toBe('cancelled');
    expect((await as(stack.token)(`/v1/executions/${blockingId}/events`)).status).toBe(404);
    const stopped = (await (await as(erin.token)(`/v1/executions/${blockingId}/events?limit=500`)).json()).items;
    // The stop is the admin's, in the audit log.
    expect(stopped.some((e: { actor?: { id: string } }) => e.actor?.id === stack.ownerId)).toBe(true);
    expect((await waitForEnd(as(erin.token), doneId)).status).toBe('completed');
    const again = await as(erin.token)(`/v1/executions/${doneId}/messages`, { method: 'POST', body: JSON.stringify({ text: 'one more' }) });
    expect(again.status).toBe(403);
    expect((await again.json()).error.message).toContain(`not a member of project ${project}`);
    // An admin's token narrowed below tenant:admin is not an admin's.
    const narrowed = (await stack.tokenFor('owner', { permissions: ['execution:read', 'project:write'] })).token;
    expect((await as(narrowed)(`/v1/projects/${project}`)).status).toBe(404);
  });

  it("does not queue A's work behind another tenant's execution of the same project name, and hides each from the other", async () => {
    const theirs = await create(mallory, { projectId: projectOfA, prompt: 'wait a month', approvalTimeout: '30d' });
    expect(theirs.status).toBe(201);
    const theirId = (await theirs.json()).id;
    await waitForStatus(as(mallory), theirId, 'awaiting_approval');
    const mine = await stack.createExecution({ projectId: projectOfA, prompt: 'plan this', planMode: 'always' });
    await stack.waitForStatus(mine, 'awaiting_approval');
    expect((await as(stack.token)(`/v1/executions/${theirId}`)).status).toBe(404);
    expect((await as(mallory)(`/v1/executions/${mine}`)).status).toBe(404);
    expect((await as(mallory)(`/v1/executions/${mine}/cancel`, { method: 'POST' })).status).toBe(404);
    const malloryProjects: string[] = (await (await as(mallory)('/v1/projects')).json()).items.map((p: { id: string }) => p.id);
    expect(malloryProjects).toContain(projectOfA);
    expect(malloryProjects.every((id) => id === projectOfA || id.startsWith('linked-'))).toBe(true);
    await as(mallory)(`/v1/executions/${theirId}/cancel`, { method: 'POST' });
    await stack.post(`/v1/executions/${mine}/cancel`);
  });

  it("keeps a git URL's credentials write-only: stored, used by the worker, never returned or shown in an error", async () => {
    const project = `private-repo-${randomUUID()}`;
    const url = 'http://deploy:s3cret-token-42@127.0.0.1:9/team/repo.git';
    const saved = await put(stack.token, `/v1/projects/${project}`, { workspaceTemplate: { type: 'git', url } });
    expect(saved.status).toBe(201);
    const masked = { type: 'git', url: 'http://***@127.0.0.1:9/team/repo.git' };
    expect((await saved.json()).workspaceTemplate).toEqual(masked);
    expect((await (await stack.api(`/v1/projects/${project}`)).json()).workspaceTemplate).toEqual(masked);
    // Sent back as read, the credentials stay.
    expect((await put(stack.token, `/v1/projects/${project}`, { workspaceTemplate: masked })).status).toBe(200);
    const stored = await stack.database.db.execute(sql`select secrets from projects where id = ${project}`);
    expect(rowsOf(stored)).toEqual([{ secrets: { gitUrl: url } }]);

    // The clone fails (nothing listens there) and is retried: its failure, as Temporal keeps it, hides them.
    const id = await stack.createExecution({ projectId: project, prompt: 'clone it', planMode: 'never' });
    const run = stack.env.client.workflow.getHandle(runWorkflowId(id, 1));
    const failure = await waitFor('the clone to fail', async () => {
      const described = await run.describe().catch(() => undefined);
      return described?.raw.pendingActivities?.[0]?.lastFailure?.message ?? undefined;
    });
    expect(failure).toContain("unable to access 'http://127.0.0.1:9/team/repo.git/'");
    expect(failure).not.toContain('s3cret-token-42');
    await stack.post(`/v1/executions/${id}/cancel?wait=true`);
    const history = JSON.stringify((await run.fetchHistory()).events);
    const everything = JSON.stringify([await stack.events(id), await (await stack.api(`/v1/projects/${project}`)).json()]);
    expect(history + everything).not.toContain('s3cret-token-42');
  });

  it('masks credentials left in a template saved before they were kept apart', async () => {
    const project = `old-repo-${randomUUID()}`;
    const url = 'http://legacy:0ld-s3cret@127.0.0.1:9/r.git';
    await stack.database.db.execute(
      sql`insert into projects (tenant_id, id, workspace_template) values (${stack.tenantId}, ${project}, ${JSON.stringify({ type: 'git', url })}::jsonb)`,
    );
    expect((await (await stack.api(`/v1/projects/${project}`)).json()).workspaceTemplate).toEqual({
      type: 'git',
      url: 'http://***@127.0.0.1:9/r.git',
    });
    const id = await stack.createExecution({ projectId: project, prompt: 'clone it', planMode: 'never' });
    const run = stack.env.client.workflow.getHandle(runWorkflowId(id, 1));
    const failure = await waitFor(
      'the clone to fail',
      async () => (await run.describe().catch(() => undefined))?.raw.pendingActivities?.[0]?.lastFailure?.message ?? undefined,
    );
    expect(failure).toContain('127.0.0.1:9');
    expect(failure).not.toContain('0ld-s3cret');
    await stack.post(`/v1/executions/${id}/cancel?wait=true`);
  });
});

type Get = (url: string) => Promise<Response>;

const rowsOf = (result: unknown) => (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows);

async function waitForStatus(get: Get, id: string, ...statuses: string[]) {
  for (let i = 0; i < 600; i++) {
    const body = await (await get(`/v1/executions/${id}`)).json();
    if (statuses.includes(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`execution ${id} did not reach ${statuses.join('/')}`);
}

const waitForEnd = (get: Get, id: string) => waitForStatus(get, id, 'completed', 'failed', 'cancelled');
