import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnerIdKey } from '../../common/search-attributes.ts';
import { appendEvent } from '../../db/events.ts';
import { apiTokens } from '../../db/schema.ts';
import { hashToken, issueUserToken } from '../../db/tokens.ts';
import { executionWorkflowId } from '../../workflows/definitions.ts';
import { openSse, type SseClient } from '../helpers/sse-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { openWs } from '../helpers/ws-client.ts';

/**
 * Seed 001's collaboration: an execution is private to its owner until it is shared (read, or
 * collaborate), its visibility flipped to the tenant, or it is handed off; comments sit beside the
 * agent conversation. A is the stack's user; bob and carol are members of A's tenant, rita a viewer,
 * mallory an admin of another tenant.
 */
describe('sharing, visibility, hand-off and comments', () => {
  let stack: TestStack;
  let bob: { token: string; userId: string };
  let carol: { token: string; userId: string };
  let rita: { token: string; userId: string };
  let mallory: string;
  const streams: SseClient[] = [];

  const as =
    (token: string) =>
    (url: string, method = 'GET', body?: unknown) =>
      stack.api(url, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
  const json = async (response: Promise<Response>) => (await response).json();
  const waitingPlan = async () => {
    const id = await stack.createExecution({ projectId: `share-${randomUUID()}`, prompt: 'Plan the notes', planMode: 'always' });
    await stack.waitForStatus(id, 'awaiting_approval');
    return id;
  };

  beforeAll(async () => {
    // Streams re-check who may read them at every keep-alive: a short one here.
    stack = await startTestStack({ streamLimits: { keepAliveMs: 400 } });
    bob = await stack.tokenFor('bob');
    carol = await stack.tokenFor('carol');
    rita = await stack.tokenFor('rita', { role: 'viewer' });
    mallory = (await issueUserToken(stack.database.db, { tenantId: `other-${randomUUID()}`, user: 'mallory', role: 'admin' })).token;
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await stack?.close();
  });

  it('keeps an execution private until it is shared to read: a reader reads, streams and comments, but does not act', async () => {
    const id = await waitingPlan();
    for (const token of [bob.token, carol.token, mallory]) expect((await as(token)(`/v1/executions/${id}`)).status).toBe(404);
    expect((await json(as(bob.token)('/v1/executions?scope=shared'))).items).toEqual([]);

    const shared = await as(stack.token)(`/v1/executions/${id}/shares/${encodeURIComponent(bob.userId)}`, 'PUT', { access: 'read' });
    expect(shared.status).toBe(200);
    expect((await shared.json()).shares).toEqual([{ userId: bob.userId, access: 'read', since: expect.any(String) }]);
    const asBob = as(bob.token);
    expect(await json(asBob(`/v1/executions/${id}`))).toMatchObject({ id, access: 'read', status: 'awaiting_approval' });
    for (const path of ['events', 'activity', 'access', 'comments']) expect((await asBob(`/v1/executions/${id}/${path}`)).status, path).toBe(200);
    expect((await json(asBob('/v1/executions?scope=shared'))).items.map((e: { id: string }) => e.id)).toEqual([id]);
    expect((await json(asBob('/v1/executions'))).items).toEqual([]);
    for (const [path, body] of [
      ['plan/approve', {}],
      ['cancel', undefined],
      ['archive', {}],
    ] as const) {
      const refused = await asBob(`/v1/executions/${id}/${path}`, 'POST', body);
      expect(refused.status, path).toBe(403);
    }
    expect((await json(asBob(`/v1/executions/${id}`))).status).toBe('awaiting_approval');
    // A reader cannot pass the execution on either.
    expect((await asBob(`/v1/executions/${id}/shares/${encodeURIComponent(carol.userId)}`, 'PUT', { access: 'read' })).status).toBe(403);

    const events = await stack.events(id);
    expect(events.find((e: { type: string }) => e.type === 'execution.shared')).toMatchObject({
      actor: { kind: 'user', id: stack.ownerId },
      payload: { userId: bob.userId, access: 'read', before: null },
    });
    await stack.post(`/v1/executions/${id}/cancel`);
  });

  it('lets a collaborator approve, as themselves; taking the share back hides the execution again', async () => {
    const id = await waitingPlan();
    const share = `/v1/executions/${id}/shares/${encodeURIComponent(carol.userId)}`;
    expect((await as(stack.token)(share, 'PUT', { access: 'collaborate' })).status).toBe(200);
    // A collaborator decides only as a member of the project (a decision lets work go on there).
    const refused = await as(carol.token)(`/v1/executions/${id}/plan/approve`, 'POST', {});
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.message).toContain('not a member of project');
    const { projectId } = await json(as(stack.token)(`/v1/executions/${id}`));
    expect((await as(stack.token)(`/v1/projects/${projectId}/members/${encodeURIComponent(carol.userId)}`, 'PUT', {})).status).toBe(201);
    expect((await as(carol.token)(`/v1/executions/${id}/plan/approve`, 'POST', {})).status).toBe(200);
    await stack.waitForStatus(id, 'completed', 'failed', 'waiting_permission');
    const approved = (await stack.events(id)).find((e: { type: string }) => e.type === 'plan.approved');
    expect(approved.actor).toEqual({ kind: 'user', id: carol.userId });

    expect((await as(stack.token)(share, 'DELETE')).status).toBe(200);
    expect((await as(carol.token)(`/v1/executions/${id}`)).status).toBe(404);
    expect((await as(stack.token)(share, 'DELETE')).status).toBe(404);
    const types = (await stack.events(id)).map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t.startsWith('execution.') && t.endsWith('shared'))).toEqual(['execution.shared', 'execution.unshared']);
    // Only users of the tenant, other than the owner.
    expect((await as(stack.token)(`/v1/executions/${id}/shares/${encodeURIComponent('other:mallory')}`, 'PUT', { access: 'read' })).status).toBe(404);
    expect((await as(stack.token)(`/v1/executions/${id}/shares/${encodeURIComponent(stack.ownerId)}`, 'PUT', { access: 'read' })).status).toBe(409);
    expect((await as(stack.token)(share, 'PUT', { access: 'admin' })).status).toBe(400);
  });

  it('flips visibility to the tenant: everyone there reads it, nobody elsewhere', async () => {
    const id = await waitingPlan();
    expect((await json(as(stack.token)(`/v1/executions/${id}/visibility`, 'PUT', { visibility: 'tenant' }))).visibility).toBe('tenant');
    for (const reader of [bob, carol, rita]) expect(await json(as(reader.token)(`/v1/executions/${id}`))).toMatchObject({ access: 'read' });
    expect((await json(as(rita.token)('/v1/executions?scope=tenant'))).items.map((e: { id: string }) => e.id)).toContain(id);
    expect((await json(as(rita.token)('/v1/executions?scope=all'))).items.map((e: { id: string }) => e.id)).toContain(id);
    expect((await as(mallory)(`/v1/executions/${id}`)).status).toBe(404);
    expect((await as(bob.token)(`/v1/executions/${id}/cancel`, 'POST')).status).toBe(403);
    expect((await as(stack.token)(`/v1/executions/${id}/visibility`, 'PUT', { visibility: 'private' })).status).toBe(200);
    expect((await as(rita.token)(`/v1/executions/${id}`)).status).toBe(404);
    await stack.post(`/v1/executions/${id}/cancel`);
  });

  it('ends the streams of a token revoked while they are open, at their next keep-alive', async () => {
    const id = await waitingPlan();
    const dana = await stack.tokenFor('dana');
    await as(stack.token)(`/v1/executions/${id}/shares/${encodeURIComponent(dana.userId)}`, 'PUT', { access: 'read' });
    const stream = await openSse(`${stack.url}/v1/executions/${id}/stream`, { authorization: `Bearer ${dana.token}` });
    streams.push(stream);
    const ws = await openWs(`${stack.url}/v1/ws`, { authorization: `Bearer ${dana.token}` });
    ws.send({ type: 'subscribe', executionId: id });
    await ws.until((m) => m.some((x) => x.type === 'subscribed'));
    await stack.database.db
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(eq(apiTokens.tokenHash, hashToken(dana.token)));
    await expect(stream.until(() => false, 15_000)).rejects.toThrow('stream ended');
    await ws.until((m) => m.some((x) => x.type === 'error' && x.status === 404));
    ws.close();
    await stack.post(`/v1/executions/${id}/cancel`);
  });

  it('lets an admin change who may see an execution, never give it to themselves; stopping it tells them nothing of it', async () => {
    const id = await waitingPlan();
    const adminToken = (await stack.tokenFor('ada', { role: 'admin' })).token;
    const ada = `${stack.tenantId}:ada`;
    const asAda = as(adminToken);
    expect((await asAda(`/v1/executions/${id}`)).status).toBe(404);
    expect((await asAda(`/v1/executions/${id}/shares/${encodeURIComponent(ada)}`, 'PUT', { access: 'read' })).status).toBe(403);
    expect((await asAda(`/v1/executions/${id}/hand-off`, 'POST', { userId: ada })).status).toBe(403);
    expect((await asAda(`/v1/executions/${id}/shares/${encodeURIComponent(carol.userId)}`, 'PUT', { access: 'read' })).status).toBe(200);
    const stopped = await asAda(`/v1/executions/${id}/cancel?wait=true`, 'POST');
    expect(stopped.status).toBe(200);
    expect(await stopped.json()).toEqual({ executionId: id, status: 'cancelled' });
    expect((await asAda(`/v1/executions/${id}`)).status).toBe(404);
  });

  it("hands an execution off: it moves into the new owner's lists and status, the one before keeps read", async () => {
    const id = await waitingPlan();
    const statusOf = async (token: string) => json(as(token)('/v1/status'));
    const bobBefore = (await statusOf(bob.token)).awaitingApproval;
    expect((await as(stack.token)(`/v1/executions/${id}/hand-off`, 'POST', { userId: rita.userId })).status).toBe(422);
    expect((await as(stack.token)(`/v1/executions/${id}/hand-off`, 'POST', { userId: 'other:mallory' })).status).toBe(404);
    // Only to a member of the execution's project.
    const outsider = await stack.tokenFor('oscar');
    const notMember = await as(stack.token)(`/v1/executions/${id}/hand-off`, 'POST', { userId: outsider.userId });
    expect(notMember.status).toBe(422);
    const { project } = { project: (await json(as(stack.token)(`/v1/executions/${id}`))).projectId };
    expect((await as(stack.token)(`/v1/projects/${project}/members/${encodeURIComponent(bob.userId)}`, 'PUT', {})).status).toBe(201);
    const sidebar = (token: string) => openSse(`${stack.url}/v1/stream`, { authorization: `Bearer ${token}` });
    const mySidebar = await sidebar(stack.token);
    const bobsSidebar = await sidebar(bob.token);
    streams.push(mySidebar, bobsSidebar);
    const handed = await as(stack.token)(`/v1/executions/${id}/hand-off`, 'POST', { userId: bob.userId });
    expect(handed.status).toBe(200);
    expect(await handed.json()).toMatchObject({ ownerId: bob.userId, shares: [{ userId: stack.ownerId, access: 'read' }] });

    expect(await json(as(bob.token)(`/v1/executions/${id}`))).toMatchObject({ ownerId: bob.userId, access: 'owner' });
    // Operators filtering the Temporal UI by owner find it under its new owner.
    const workflow = stack.env.client.workflow.getHandle(executionWorkflowId(id));
    await waitFor('the OwnerId search attribute', async () =>
      (await workflow.describe()).typedSearchAttributes.get(OwnerIdKey) === bob.userId ? true : undefined,
    );
    // Both owners' status streams hear of the move.
    for (const stream of [mySidebar, bobsSidebar]) {
      const [moved] = (await stream.until((events) => events.some((e) => e.type === 'execution.handed_off'))).filter(
        (e) => e.type === 'execution.handed_off',
      );
      expect(moved).toMatchObject({ executionId: id, handedOff: { from: stack.ownerId, to: bob.userId } });
    }
    expect((await json(as(bob.token)('/v1/executions'))).items.map((e: { id: string }) => e.id)).toContain(id);
    expect((await json(as(stack.token)('/v1/executions'))).items.map((e: { id: string }) => e.id)).not.toContain(id);
    expect((await statusOf(bob.token)).awaitingApproval).toBe(bobBefore + 1);
    expect(await json(as(stack.token)(`/v1/executions/${id}`))).toMatchObject({ access: 'read' });
    expect((await as(stack.token)(`/v1/executions/${id}/plan/approve`, 'POST', {})).status).toBe(403);
    expect((await as(bob.token)(`/v1/executions/${id}/plan/approve`, 'POST', {})).status).toBe(200);
    expect((await stack.events(id)).find((e: { type: string }) => e.type === 'execution.handed_off')).toMatchObject({
      actor: { kind: 'user', id: stack.ownerId },
      payload: { from: stack.ownerId, to: bob.userId },
    });
    // A share the owner before made as the hand-off went through (it checked their ownership first, then
    // was recorded after the move) changes nothing.
    await appendEvent(stack.database.db, {
      eventId: randomUUID(),
      type: 'execution.shared',
      executionId: id,
      actor: { kind: 'user', id: stack.ownerId },
      occurredAt: new Date().toISOString(),
      payload: { userId: carol.userId, access: 'collaborate', before: null, owner: stack.ownerId },
    });
    expect((await as(carol.token)(`/v1/executions/${id}`)).status).toBe(404);
    // Made by the owner now, it does.
    expect((await as(bob.token)(`/v1/executions/${id}/shares/${encodeURIComponent(carol.userId)}`, 'PUT', { access: 'read' })).status).toBe(200);
    expect((await as(carol.token)(`/v1/executions/${id}`)).status).toBe(200);
  });

  it('keeps comments apart from the conversation: in order, with author and time, streamed live, edited and deleted by their authors', async () => {
    const id = await waitingPlan();
    await as(stack.token)(`/v1/executions/${id}/shares/${encodeURIComponent(bob.userId)}`, 'PUT', { access: 'read' });
    const stream = await openSse(`${stack.url}/v1/executions/${id}/stream`, { authorization: `Bearer ${bob.token}` });
    streams.push(stream);
    const first = await as(stack.token)(`/v1/executions/${id}/comments`, 'POST', { body: 'Looks right to me.' });
    expect(first.status).toBe(201);
    const mine = await first.json();
    expect(mine).toMatchObject({ executionId: id, authorId: stack.ownerId, body: 'Looks right to me.', editedAt: null });
    const bobs = await json(as(bob.token)(`/v1/executions/${id}/comments`, 'POST', { body: 'Check the tests too.' }));
    await stream.until((events) => events.filter((e) => e.type === 'comment.added').length === 2);

    const listed = await json(as(bob.token)(`/v1/executions/${id}/comments`));
    expect(listed.items.map((c: { body: string; authorId: string }) => [c.authorId, c.body])).toEqual([
      [stack.ownerId, 'Looks right to me.'],
      [bob.userId, 'Check the tests too.'],
    ]);
    const page = await json(as(bob.token)(`/v1/executions/${id}/comments?limit=1`));
    expect(page.items).toHaveLength(1);
    expect((await json(as(bob.token)(`/v1/executions/${id}/comments?limit=1&cursor=${page.nextCursor}`))).items[0].id).toBe(bobs.id);

    expect((await as(bob.token)(`/v1/executions/${id}/comments/${mine.id}`, 'PATCH', { body: 'hijacked' })).status).toBe(403);
    expect((await as(bob.token)(`/v1/executions/${id}/comments/${mine.id}`, 'DELETE')).status).toBe(403);
    const edited = await json(as(stack.token)(`/v1/executions/${id}/comments/${mine.id}`, 'PATCH', { body: 'Looks right, ship it.' }));
    expect(edited).toMatchObject({ body: 'Looks right, ship it.', editedAt: expect.any(String) });
    expect((await as(bob.token)(`/v1/executions/${id}/comments/${bobs.id}`, 'DELETE')).status).toBe(200);
    expect((await as(bob.token)(`/v1/executions/${id}/comments/${bobs.id}`, 'DELETE')).status).toBe(404);
    expect((await json(as(stack.token)(`/v1/executions/${id}/comments`))).items.map((c: { body: string }) => c.body)).toEqual([
      'Looks right, ship it.',
    ]);
    await stream.until((events) => events.some((e) => e.type === 'comment.deleted'));
    // Taking the share back ends the reader's stream, and a WebSocket subscription the same way.
    const ws = await openWs(`${stack.url}/v1/ws`, { authorization: `Bearer ${bob.token}` });
    ws.send({ type: 'subscribe', executionId: id });
    await ws.until((m) => m.some((x) => x.type === 'subscribed'));
    expect((await as(stack.token)(`/v1/executions/${id}/shares/${encodeURIComponent(bob.userId)}`, 'DELETE')).status).toBe(200);
    await expect(stream.until(() => false, 15_000)).rejects.toThrow('stream ended');
    await ws.until((m) => m.some((x) => x.type === 'error' && x.status === 404));
    ws.close();
    // The conversation is untouched; a stranger cannot comment; a blank comment is refused.
    expect((await json(as(stack.token)(`/v1/executions/${id}`))).status).toBe('awaiting_approval');
    expect((await as(carol.token)(`/v1/executions/${id}/comments`, 'POST', { body: 'me too' })).status).toBe(404);
    expect((await as(stack.token)(`/v1/executions/${id}/comments`, 'POST', { body: '  ' })).status).toBe(400);
    await stack.post(`/v1/executions/${id}/cancel`);
  });
});
