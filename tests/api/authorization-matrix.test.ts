import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTEGRATION_PERMISSIONS, type Permission } from '../../common/permissions.ts';
import { saveAgent } from '../../db/agents.ts';
import { ensureTenant } from '../../db/tenants.ts';
import { issueToken, issueUserToken, listTokens } from '../../db/tokens.ts';
import { sseStatus } from '../helpers/fuzz.ts';
import { openSse } from '../helpers/sse-client.ts';
import { startTestStack, type TestStack, UNATTENDED_AGENT } from '../helpers/test-stack.ts';
import { openWs } from '../helpers/ws-client.ts';

/**
 * Every execution route (REST, SSE, WebSocket, background agents) × every role and token kind ×
 * executions that are the caller's own, shared with them to read or to collaborate, visible to the
 * tenant, private to someone else, and in another tenant. A cell passes when the answer gives exactly
 * what it should: a refusal (403 for a missing permission or a read-only share, 404 for what the caller
 * may not see) where the rules refuse, and anything but a refusal where they allow (an action the
 * execution's state does not allow is a 409 that came after the access check).
 */

type Relation = 'own' | 'private' | 'read' | 'collab' | 'tenant' | 'foreign';
type Access = 'owner' | 'collaborate' | 'read' | 'none';
/**
 * What a route needs: to see the execution, to act on it, to stop it (an admin may), to change its
 * access (an admin may), to be the author of its comment (the owner wrote each fixture's).
 */
type Need = 'see' | 'act' | 'stop' | 'share' | 'author';

interface Principal {
  name: string;
  token: string;
  id: string;
  tenant: 'home' | 'away';
  permissions: readonly Permission[];
  admin: boolean;
  /** Users can be shared with; an integration cannot. */
  user: boolean;
}

interface Fixture {
  id: string;
  tenant: 'home' | 'away';
  ownerId: string;
  projectId: string;
  runId: string;
  runNumber: number;
  visibility: 'private' | 'tenant';
  shares: Record<string, 'read' | 'collaborate'>;
  /** A comment its owner wrote on it. */
  commentId: string;
  /** Its owner's token, to write a comment for each cell that deletes one. */
  ownerToken: string;
}

interface Route {
  name: string;
  need: Need;
  permission: Permission;
  call(p: Principal, f: Fixture): Promise<number>;
}

describe('authorization matrix', () => {
  let stack: TestStack;
  const principals: Principal[] = [];
  /** Per principal: the execution of each relation to it. */
  const fixturesOf = new Map<string, Partial<Record<Relation, Fixture>>>();
  const project = `matrix-${randomUUID()}`;
  const awayTenant = `matrix-away-${randomUUID()}`;
  const TARGET = { type: 'ticket', id: `MATRIX-${randomUUID()}` };
  /** Per user (or integration): its execution waiting for approval on TARGET. */
  const waitingOf = new Map<string, string>();
  const ALL: readonly Permission[] = ['execution:read', 'execution:create', 'execution:cancel', 'agent:write', 'project:write', 'tenant:admin'];

  const request = (p: Principal, path: string, method = 'GET', body?: unknown) =>
    stack.api(path, {
      method,
      headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  /**
   * The answer's status; a 404 about something else than the execution, run or project (a user that is no
   * user, a share that is none), which comes after the access check, is told apart as 409.
   */
  const status = async (response: Promise<Response>) => {
    const r = await response;
    const text = await r.text();
    if (r.status !== 404) return r.status;
    const message = JSON.parse(text).error?.message ?? '';
    return /^no (execution|run|background agent|project) /.test(message) ? 404 : 409;
  };

  const routes: Route[] = [
    ...(['', '/events', '/activity', '/access', '/comments'] as const).map((suffix) => ({
      name: `GET /v1/executions/:id${suffix}`,
      need: 'see' as const,
      permission: 'execution:read' as const,
      call: (p: Principal, f: Fixture) => status(request(p, `/v1/executions/${f.id}${suffix}`)),
    })),
    {
      name: 'POST /v1/executions/:id/comments',
      need: 'see',
      permission: 'execution:read',
      call: (p, f) => status(request(p, `/v1/executions/${f.id}/comments`, 'POST', { body: `from ${p.name}` })),
    },
    // The owner's comment: edited; and one the owner writes for each cell, deleted.
    {
      name: "PATCH /v1/executions/:id/comments/:commentId (the owner's)",
      need: 'author',
      permission: 'execution:read',
      call: (p, f) => status(request(p, `/v1/executions/${f.id}/comments/${f.commentId}`, 'PATCH', { body: `edited by ${p.name}` })),
    },
    {
      name: "DELETE /v1/executions/:id/comments/:commentId (the owner's)",
      need: 'author',
      permission: 'execution:read',
      call: async (p, f) => {
        const written = await stack.api(`/v1/executions/${f.id}/comments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${f.ownerToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ body: `for ${p.name} to delete` }),
        });
        expect(written.status).toBe(201);
        return status(request(p, `/v1/executions/${f.id}/comments/${(await written.json()).id}`, 'DELETE'));
      },
    },
    { name: 'GET /v1/runs/:id', need: 'see', permission: 'execution:read', call: (p, f) => status(request(p, `/v1/runs/${f.runId}`)) },
    {
      name: 'GET /v1/runs/:number/timeline',
      need: 'see',
      permission: 'execution:read',
      call: (p, f) => status(request(p, `/v1/runs/${f.runNumber}/timeline`)),
    },
    { name: 'GET /v1/runs/:id/events', need: 'see', permission: 'execution:read', call: (p, f) => status(request(p, `/v1/runs/${f.runId}/events`)) },
    {
      name: 'GET /v1/executions/:id/stream (SSE)',
      need: 'see',
      permission: 'execution:read',
      call: async (p, f) => (await sseStatus(stack.url, `/v1/executions/${f.id}/stream`, { authorization: `Bearer ${p.token}` })).status,
    },
    {
      name: 'WebSocket subscribe {executionId}',
      need: 'see',
      permission: 'execution:read',
      call: async (p, f) => {
        const ws = await openWs(`${stack.url}/v1/ws`, { authorization: `Bearer ${p.token}` }).catch((err) => err as { status: number });
        if (!('send' in ws)) return ws.status;
        try {
          ws.send({ type: 'subscribe', executionId: f.id });
          const [answer] = (await ws.until((m) => m.some((x) => x.type === 'subscribed' || x.type === 'error'))).filter(
            (x) => x.type === 'subscribed' || x.type === 'error',
          );
          return answer.type === 'subscribed' ? 200 : answer.status;
        } finally {
          ws.close();
        }
      },
    },
    {
      name: 'GET /background-agents/:id/logs',
      need: 'see',
      permission: 'execution:read',
      call: (p, f) => status(request(p, `/background-agents/${f.id}/logs`)),
    },
    ...(
      [
        ['plan/approve', {}],
        ['plan/revise', { feedback: 'more' }],
        ['plan/reject', {}],
      ] as const
    ).map(([action, body]) => ({
      name: `POST /v1/executions/:id/${action}`,
      need: 'act' as const,
      permission: 'execution:create' as const,
      call: (p: Principal, f: Fixture) => status(request(p, `/v1/executions/${f.id}/${action}`, 'POST', body)),
    })),
    ...(['approve', 'deny'] as const).map((decision) => ({
      name: `POST /v1/executions/:id/tools/:callId/${decision}`,
      need: 'act' as const,
      permission: 'execution:create' as const,
      call: (p: Principal, f: Fixture) => status(request(p, `/v1/executions/${f.id}/tools/${randomUUID()}/${decision}`, 'POST')),
    })),
    ...(['retry', 'resume'] as const).map((action) => ({
      name: `POST /v1/executions/:id/${action}`,
      need: 'act' as const,
      permission: 'execution:create' as const,
      call: (p: Principal, f: Fixture) => status(request(p, `/v1/executions/${f.id}/${action}`, 'POST')),
    })),
    {
      name: 'POST /v1/executions/:id/messages',
      need: 'act',
      permission: 'execution:create',
      call: (p, f) => status(request(p, `/v1/executions/${f.id}/messages`, 'POST', { text: `from ${p.name}` })),
    },
    ...(['archive', 'unarchive'] as const).map((action) => ({
      name: `POST /v1/executions/:id/${action}`,
      need: 'act' as const,
      permission: 'execution:cancel' as const,
      call: (p: Principal, f: Fixture) => status(request(p, `/v1/executions/${f.id}/${action}`, 'POST')),
    })),
    {
      name: 'POST /v1/executions/:id/cancel',
      need: 'stop',
      permission: 'execution:cancel',
      call: (p, f) => status(request(p, `/v1/executions/${f.id}/cancel`, 'POST')),
    },
    {
      name: 'POST /background-agents/:id/stop',
      need: 'stop',
      permission: 'execution:cancel',
      call: (p, f) => status(request(p, `/background-agents/${f.id}/stop`, 'POST')),
    },
    // Changes of access, sent so that an allowed one is refused later, by what it asks (the owner cannot be shared with or handed to).
    {
      name: 'PUT /v1/executions/:id/shares/:userId',
      need: 'share',
      permission: 'execution:create',
      call: (p, f) => status(request(p, `/v1/executions/${f.id}/shares/${encodeURIComponent(f.ownerId)}`, 'PUT', { access: 'read' })),
    },
    {
      name: 'DELETE /v1/executions/:id/shares/:userId',
      need: 'share',
      permission: 'execution:create',
      call: (p, f) => status(request(p, `/v1/executions/${f.id}/shares/${encodeURIComponent(f.ownerId)}`, 'DELETE')),
    },
    {
      name: 'PUT /v1/executions/:id/visibility',
      need: 'share',
      permission: 'execution:create',
      call: (p, f) => status(request(p, `/v1/executions/${f.id}/visibility`, 'PUT', { visibility: f.visibility })),
    },
    {
      name: 'POST /v1/executions/:id/hand-off',
      need: 'share',
      permission: 'execution:create',
      call: (p, f) => status(request(p, `/v1/executions/${f.id}/hand-off`, 'POST', { userId: f.ownerId })),
    },
  ];

  /** Every fixture of every principal, once: one that shows up where it should not is caught, whoever's it is. */
  const allFixtures = () => [
    ...new Map(
      [...fixturesOf.values()]
        .flatMap((r) => Object.values(r))
        .filter((f): f is Fixture => !!f)
        .map((f) => [f.id, f]),
    ).values(),
  ];

  function accessOf(p: Principal, f: Fixture): Access {
    if (p.tenant !== f.tenant) return 'none';
    if (f.ownerId === p.id) return 'owner';
    const share = f.shares[p.id];
    if (share) return share;
    return f.visibility === 'tenant' ? 'read' : 'none';
  }

  /** What the rules say a cell answers: a refusal's status, or `allowed`. */
  function expected(p: Principal, f: Fixture, route: Route): 403 | 404 | 'allowed' {
    if (!p.permissions.includes(route.permission)) return 403;
    const access = accessOf(p, f);
    const adminHere = p.admin && p.tenant === f.tenant;
    if (route.need === 'see') return access === 'none' ? 404 : 'allowed';
    if (route.need === 'author') return access === 'none' ? 404 : access === 'owner' ? 'allowed' : 403;
    if ((route.need === 'stop' || route.need === 'share') && adminHere) return 'allowed';
    if (access === 'none') return 404;
    if (route.need === 'share') return access === 'owner' ? 'allowed' : 403;
    return access === 'read' ? 403 : 'allowed';
  }

  /** A background execution by `owner`, run to completion; its first run. */
  async function startFixture(owner: Principal, projectId: string): Promise<Omit<Fixture, 'shares' | 'visibility' | 'commentId' | 'ownerToken'>> {
    const started = await request(owner, '/background-agents/start', 'POST', { agentId: 'unattended', projectId, task: `fixture of ${owner.name}` });
    expect(started.status).toBe(201);
    const { instanceId } = await started.json();
    let body: any;
    for (let i = 0; i < 600 && body?.status !== 'completed'; i++) {
      body = await (await request(owner, `/v1/executions/${instanceId}`)).json();
      if (body.status !== 'completed') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(body.status).toBe('completed');
    return { id: instanceId, tenant: owner.tenant, ownerId: owner.id, projectId, runId: body.runs[0].id, runNumber: body.runs[0].number };
  }

  beforeAll(async () => {
    stack = await startTestStack();
    const db = stack.database.db;
    const user = async (name: string, role: 'admin' | 'member' | 'viewer', permissions?: Permission[]) => {
      const issued =
        name === 'admin' ? { token: stack.token, userId: stack.ownerId } : await stack.tokenFor(name.replace(/-.*/, ''), { role, permissions });
      const granted = (permissions ?? ALL).filter((perm) =>
        ({ admin: ALL, member: ALL.slice(0, 3).concat('project:write'), viewer: ['execution:read'] })[role].includes(perm),
      );
      principals.push({
        name,
        token: issued.token,
        id: issued.userId,
        tenant: 'home',
        permissions: granted,
        admin: granted.includes('tenant:admin'),
        user: true,
      });
    };
    await user('admin', 'admin');
    await user('alice', 'member');
    await user('member', 'member');
    await user('member-readonly', 'member', ['execution:read']);
    await user('viewer', 'viewer');
    const integration = await issueToken(db, { name: 'matrix-bot', tenantId: stack.tenantId, permissions: [...INTEGRATION_PERMISSIONS] });
    principals.push({
      name: 'integration',
      token: integration.token,
      id: `integration:${integration.id}`,
      tenant: 'home',
      permissions: INTEGRATION_PERMISSIONS,
      admin: false,
      user: false,
    });
    await ensureTenant(db, awayTenant);
    await saveAgent(db, awayTenant, UNATTENDED_AGENT);
    const away = await issueUserToken(db, { tenantId: awayTenant, user: 'stranger', role: 'admin' });
    principals.push({ name: 'other-tenant admin', token: away.token, id: away.user.id, tenant: 'away', permissions: ALL, admin: true, user: true });
    const byName = (name: string) => principals.find((p) => p.name === name)!;
    const owner = byName('alice');
    const sharees = principals.filter((p) => p.user && p.tenant === 'home' && p !== owner && p.name !== 'member-readonly');

    // The owner's project, with every user of the tenant a member (so a collaborator may also start work in it).
    expect((await request(owner, `/v1/projects/${project}`, 'PUT', { workspaceTemplate: { type: 'empty' } })).status).toBe(201);
    for (const p of sharees)
      expect((await request(owner, `/v1/projects/${project}/members/${encodeURIComponent(p.id)}`, 'PUT', {})).status).toBe(201);

    const make = async (
      creator: Principal,
      visibility: 'private' | 'tenant',
      shares: Record<string, 'read' | 'collaborate'>,
      projectId = project,
    ) => {
      const started = await startFixture(creator, projectId);
      const comment = await request(creator, `/v1/executions/${started.id}/comments`, 'POST', { body: `by ${creator.name}` });
      expect(comment.status).toBe(201);
      const f: Fixture = { ...started, visibility, shares, commentId: (await comment.json()).id, ownerToken: creator.token };
      if (visibility === 'tenant') expect((await request(creator, `/v1/executions/${f.id}/visibility`, 'PUT', { visibility })).status).toBe(200);
      for (const [userId, access] of Object.entries(shares)) {
        expect((await request(creator, `/v1/executions/${f.id}/shares/${encodeURIComponent(userId)}`, 'PUT', { access })).status).toBe(200);
      }
      return f;
    };
    const shareAll = (access: 'read' | 'collaborate') => Object.fromEntries(sharees.map((p) => [p.id, access]));
    const privateOne = await make(owner, 'private', {});
    const readOne = await make(owner, 'private', shareAll('read'));
    const collabOne = await make(owner, 'private', shareAll('collaborate'));
    const tenantOne = await make(owner, 'tenant', {});
    const foreign = await make(byName('other-tenant admin'), 'private', {}, `away-${randomUUID()}`);
    for (const p of principals) {
      const own = p.permissions.includes('execution:create') && p !== owner ? await make(p, 'private', {}, `own-${randomUUID()}`) : undefined;
      const mine = p === owner ? privateOne : p.name === 'member-readonly' ? undefined : own;
      const relations: Partial<Record<Relation, Fixture>> =
        p.tenant === 'away'
          ? { own: foreign, private: privateOne, read: readOne, collab: collabOne, tenant: tenantOne }
          : { own: mine, private: p === owner ? undefined : privateOne, read: readOne, collab: collabOne, tenant: tenantOne, foreign };
      fixturesOf.set(p.name, relations);
    }
    // The read-only token of a member is that member: its own execution is the member's.
    fixturesOf.get('member-readonly')!.own = fixturesOf.get('member')!.own;

    // One execution of each creator left waiting for its plan's approval, on one ticket, shared with every
    // user of its tenant: the status label and the ticket's badge count only the caller's own.
    for (const p of principals.filter((x) => x.permissions.includes('execution:create'))) {
      const created = await request(p, '/v1/executions', 'POST', {
        prompt: `waiting of ${p.name}`,
        agentId: 'unattended',
        planMode: 'always',
        projectId: `waiting-${randomUUID()}`,
        target: TARGET,
      });
      expect(created.status).toBe(201);
      const { id } = await created.json();
      for (const other of principals.filter((x) => x.user && x.tenant === p.tenant && x.id !== p.id && x.name !== 'member-readonly'))
        expect((await request(p, `/v1/executions/${id}/shares/${encodeURIComponent(other.id)}`, 'PUT', { access: 'read' })).status).toBe(200);
      waitingOf.set(p.id, id);
    }
    for (const [userId, id] of waitingOf) {
      const owner = principals.find((x) => x.id === userId)!;
      let state = '';
      for (let i = 0; i < 600 && state !== 'awaiting_approval'; i++) {
        state = (await (await request(owner, `/v1/executions/${id}`)).json()).status;
        if (state !== 'awaiting_approval') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(state).toBe('awaiting_approval');
    }
  }, 300_000);
  afterAll(() => stack?.close());

  // First: the matrix's own cells start follow-up runs on fixtures, which these counts would see while they run.
  it("counts in the status label and the ticket's badge exactly the caller's own executions", async () => {
    let cells = 0;
    for (const p of principals) {
      const own = waitingOf.get(p.id);
      const label = await request(p, '/v1/status');
      const runs = await request(p, `/v1/targets/${TARGET.type}/${TARGET.id}/runs`);
      if (!p.permissions.includes('execution:read')) {
        expect([label.status, runs.status]).toEqual([403, 403]);
        continue;
      }
      const counts = await label.json();
      expect({ awaitingApproval: counts.awaitingApproval, running: counts.running, queued: counts.queued }, `status as ${p.name}`).toEqual({
        awaitingApproval: own ? 1 : 0,
        running: 0,
        queued: 0,
      });
      const badge = await runs.json();
      expect({ active: badge.active, ids: badge.items.map((e: { id: string }) => e.id) }, `target runs as ${p.name}`).toEqual({
        active: !!own,
        ids: own ? [own] : [],
      });
      cells += 2;
    }
    console.log(`[matrix] ${cells} cells of counts and target badges`);
    expect(cells).toBe(principals.length * 2);
  });

  it('gives no cell more than it should (and refuses none that it allows)', async () => {
    const failures: string[] = [];
    let cells = 0;
    for (const route of routes) {
      for (const p of principals) {
        for (const [relation, f] of Object.entries(fixturesOf.get(p.name)!) as [Relation, Fixture | undefined][]) {
          if (!f) continue;
          const want = expected(p, f, route);
          const got = await route.call(p, f);
          cells++;
          const ok = want === 'allowed' ? ![401, 403, 404].includes(got) && got < 500 : got === want;
          if (!ok) failures.push(`${route.name} as ${p.name} on ${relation}: expected ${want}, got ${got}`);
        }
      }
    }
    console.log(`[matrix] ${cells} cells: ${routes.length} routes × ${principals.length} principals × up to 6 relations; ${failures.length} wrong`);
    expect(failures).toEqual([]);
    // Every relation of every principal but three that cannot be: the viewer's own execution (it creates
    // none), someone else's private one for its owner, another tenant's for the other tenant's admin.
    const relations = [...fixturesOf.values()].reduce((n, r) => n + Object.values(r).filter(Boolean).length, 0);
    expect(relations).toBe(principals.length * 6 - 3);
    expect(cells).toBe(routes.length * relations);
  }, 300_000);

  it('gives each role and token kind what it should of projects, agents, policy and the tenant', async () => {
    const viewer = principals.find((p) => p.name === 'viewer')!;
    const db = stack.database.db;
    // Something of each tenant that the other tenant's callers must not reach: a token, a user, a project.
    const homeToken = await issueToken(db, { name: 'matrix-home', tenantId: stack.tenantId, permissions: ['execution:read'] });
    const awayAdmin = principals.find((p) => p.tenant === 'away')!;
    const awayToken = await issueToken(db, { name: 'matrix-away', tenantId: awayTenant, permissions: ['execution:read'] });
    const foreignOf = (p: Principal) =>
      p.tenant === 'home'
        ? { token: awayToken.id, user: awayAdmin.id, project: fixturesOf.get(awayAdmin.name)!.own!.projectId }
        : { token: homeToken.id, user: stack.ownerId, project };
    /** 200 when a list names nothing of the other tenant; 599 (a failed cell) when it does. */
    const without = async (p: Principal, path: string, what: 'token' | 'user' | 'project') => {
      const r = await request(p, path);
      if (r.status !== 200) return r.status;
      const { items } = await r.json();
      return items.some((item: { id: string }) => item.id === foreignOf(p)[what]) ? 599 : 200;
    };
    const tenantRoutes: Array<{
      name: string;
      permission: Permission;
      project?: boolean;
      /** Another tenant's thing, which answers 404 to whoever may use the route. */
      foreign?: boolean;
      call: (p: Principal) => Promise<number>;
    }> = [
      {
        name: "DELETE /v1/tenant/tokens/:id (another tenant's)",
        permission: 'tenant:admin',
        foreign: true,
        call: async (p) => (await request(p, `/v1/tenant/tokens/${foreignOf(p).token}`, 'DELETE')).status,
      },
      { name: "GET /v1/tenant/tokens (none of another tenant's)", permission: 'tenant:admin', call: (p) => without(p, '/v1/tenant/tokens', 'token') },
      { name: "GET /v1/tenant/users (none of another tenant's)", permission: 'tenant:admin', call: (p) => without(p, '/v1/tenant/users', 'user') },
      { name: "GET /v1/projects (none of another tenant's)", permission: 'execution:read', call: (p) => without(p, '/v1/projects', 'project') },
      {
        name: "GET /v1/projects/:id (another tenant's)",
        permission: 'execution:read',
        foreign: true,
        call: async (p) => (await request(p, `/v1/projects/${foreignOf(p).project}`)).status,
      },
      { name: 'GET /v1/projects/:id', permission: 'execution:read', project: true, call: (p) => status(request(p, `/v1/projects/${project}`)) },
      {
        name: 'PUT /v1/projects/:id/members/:userId',
        permission: 'project:write',
        project: true,
        call: (p) => status(request(p, `/v1/projects/${project}/members/${encodeURIComponent(viewer.id)}`, 'PUT', {})),
      },
      {
        name: 'PUT /v1/projects/:id/policy',
        permission: 'tenant:admin',
        project: true,
        call: (p) => status(request(p, `/v1/projects/${project}/policy`, 'PUT', { disabledAgents: [] })),
      },
      {
        name: 'PUT /v1/agents/:id',
        permission: 'agent:write',
        call: (p) => status(request(p, '/v1/agents/matrix-agent', 'PUT', { name: 'Matrix', provider: 'demo', model: 'demo' })),
      },
      {
        name: 'PUT /v1/tenant/policy',
        permission: 'tenant:admin',
        call: (p) => status(request(p, '/v1/tenant/policy', 'PUT', { disabledAgents: [] })),
      },
      { name: 'GET /v1/tenant/users', permission: 'tenant:admin', call: (p) => status(request(p, '/v1/tenant/users')) },
      {
        name: 'POST /v1/tenant/tokens',
        permission: 'tenant:admin',
        call: (p) => status(request(p, '/v1/tenant/tokens', 'POST', { name: 'matrix', permissions: ['execution:read'] })),
      },
      { name: 'GET /v1/tenant', permission: 'execution:read', call: (p) => status(request(p, '/v1/tenant')) },
      { name: 'GET /v1/status', permission: 'execution:read', call: (p) => status(request(p, '/v1/status')) },
      { name: 'GET /v1/agents', permission: 'execution:read', call: (p) => status(request(p, '/v1/agents')) },
    ];
    const failures: string[] = [];
    console.log(`[matrix] ${tenantRoutes.length * principals.length} cells of projects, agents, policy and the tenant`);
    for (const route of tenantRoutes) {
      for (const p of principals) {
        const want = !p.permissions.includes(route.permission) ? 403 : route.foreign || (route.project && p.tenant === 'away') ? 404 : 'allowed';
        const got = await route.call(p);
        const ok = want === 'allowed' ? ![401, 403, 404].includes(got) && got < 500 : got === want;
        if (!ok) failures.push(`${route.name} as ${p.name}: expected ${want}, got ${got}`);
      }
    }
    expect(failures).toEqual([]);
    // Neither tenant's token was revoked by the other's admin.
    const stillActive = async (tenantId: string, id: string) => (await listTokens(db, tenantId)).find((t) => t.id === id)?.revokedAt ?? null;
    expect([await stillActive(stack.tenantId, homeToken.id), await stillActive(awayTenant, awayToken.id)]).toEqual([null, null]);
  });

  it("shows in the caller's own views (status feeds, agent runs, background agents) exactly its own executions", async () => {
    const everyFixture = allFixtures();
    const ids = new Set(everyFixture.map((f) => f.id));
    const ofFixtures = (found: Iterable<string>) => new Set([...found].filter((id) => ids.has(id)));
    let cells = 0;
    for (const p of principals) {
      const own = new Set(everyFixture.filter((f) => accessOf(p, f) === 'owner').map((f) => f.id));
      const auth = { authorization: `Bearer ${p.token}` };
      const views: Record<string, () => Promise<Set<string>>> = {
        'GET /v1/agents/:id/runs': async () =>
          new Set(
            ((await (await request(p, '/v1/agents/unattended/runs?limit=100')).json()).items ?? []).map(
              (r: { executionId: string }) => r.executionId,
            ),
          ),
        'GET /background-agents': async () => {
          const panel = await (await request(p, '/background-agents?limit=200')).json();
          return new Set([...(panel.active ?? []), ...(panel.history ?? [])].map((b: { instanceId: string }) => b.instanceId));
        },
        'GET /v1/stream (SSE, from the start)': async () => {
          const stream = await openSse(`${stack.url}/v1/stream?after=0`, auth);
          await new Promise((resolve) => setTimeout(resolve, 1000));
          stream.close();
          return new Set(stream.events.map((e) => e.executionId));
        },
        'WebSocket {scope: me} (from the start)': async () => {
          const ws = await openWs(`${stack.url}/v1/ws`, auth);
          ws.send({ type: 'subscribe', scope: 'me', after: '0' });
          await new Promise((resolve) => setTimeout(resolve, 1000));
          ws.close();
          return new Set(ws.messages.filter((m) => m.type === 'status').map((m) => m.change.executionId));
        },
        '/background-agent-ws snapshot': async () => {
          const ws = await openWs(`${stack.url}/background-agent-ws`, auth);
          const [snapshot] = (await ws.until((m) => m.some((x) => x.type === 'snapshot'))).filter((x) => x.type === 'snapshot');
          ws.close();
          return new Set([...snapshot.active, ...snapshot.history].map((b: { instanceId: string }) => b.instanceId));
        },
      };
      for (const [name, view] of Object.entries(views)) {
        cells++;
        expect(ofFixtures(await view()), `${name} as ${p.name}`).toEqual(own);
      }
    }
    console.log(`[matrix] ${cells} cells of the caller's own views`);
  });

  it('lists exactly what each caller may see, by scope', async () => {
    const everyFixture = allFixtures();
    const ids = new Set(everyFixture.map((f) => f.id));
    for (const p of principals) {
      const fixtures = everyFixture;
      const listed = async (scope: string) =>
        new Set(
          ((await (await request(p, `/v1/executions?scope=${scope}&limit=100&archived=all`)).json()).items as { id: string }[])
            .map((e) => e.id)
            .filter((id) => ids.has(id)),
        );
      const visible = new Set(fixtures.filter((f) => accessOf(p, f) !== 'none').map((f) => f.id));
      const own = new Set(fixtures.filter((f) => accessOf(p, f) === 'owner').map((f) => f.id));
      expect(await listed('all'), `${p.name} scope=all`).toEqual(visible);
      expect(await listed('mine'), `${p.name} scope=mine`).toEqual(own);
      const shared = new Set(fixtures.filter((f) => accessOf(p, f) !== 'owner' && f.shares[p.id]).map((f) => f.id));
      expect(await listed('shared'), `${p.name} scope=shared`).toEqual(shared);
      const tenantWide = new Set(
        fixtures.filter((f) => accessOf(p, f) !== 'owner' && f.tenant === p.tenant && f.visibility === 'tenant').map((f) => f.id),
      );
      expect(await listed('tenant'), `${p.name} scope=tenant`).toEqual(tenantWide);
    }
  });
});
