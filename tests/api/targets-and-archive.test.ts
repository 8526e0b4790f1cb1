import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Permission } from '../../common/permissions.ts';
import { appendEvent } from '../../db/events.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('targets and archiving', () => {
  let stack: TestStack;
  let done: string; // completed, on issue:ITEM-9
  let slow: string; // running, on issue:ITEM-9
  let elsewhere: string; // completed, on pr:ITEM-9 (same id, another type)
  let failed: string; // failed, no target

  const get = async (path: string) => {
    const response = await stack.api(path);
    expect(response.status, await response.clone().text()).toBe(200);
    return response.json();
  };
  const targetRuns = (query = '') => get(`/v1/targets/issue/ITEM-9/runs${query}`);
  const listIds = async (query = '') => (await get(`/v1/executions?${query}`)).items.map((e: any) => e.id);
  const eventTypes = async (id: string) => (await stack.events(id)).map((e: any) => e.type);
  const as = async (ownerId: string, permissions?: Permission[]) => {
    const token = (await stack.tokenFor(ownerId, { permissions: permissions })).token;
    return (path: string, method = 'GET') => stack.api(path, { method, headers: { authorization: `Bearer ${token}` } });
  };

  beforeAll(async () => {
    stack = await startTestStack();
    const target = { type: 'issue', id: 'ITEM-9' };
    done = await stack.createExecution({ projectId: 'ta-1', prompt: 'Earlier work on the item', planMode: 'never', target });
    elsewhere = await stack.createExecution({ projectId: 'ta-2', prompt: 'A pull request', planMode: 'never', target: { type: 'pr', id: 'ITEM-9' } });
    failed = await stack.createExecution({ projectId: 'ta-3', prompt: 'Doomed', planMode: 'never', model: { provider: 'demo', model: 'demo-fail' } });
    await stack.waitForStatus(done, 'completed');
    await stack.waitForStatus(elsewhere, 'completed');
    await stack.waitForStatus(failed, 'failed');
    slow = await stack.createExecution({
      projectId: 'ta-4',
      prompt: 'Slow work on the item',
      planMode: 'never',
      target,
      model: { provider: 'demo', model: 'demo-slow' },
    });
    await stack.waitForStatus(slow, 'running');
  });
  afterAll(() => stack?.close());

  describe('targets', () => {
    it('stores the target given at creation and shows it on the execution', async () => {
      expect((await get(`/v1/executions/${done}`)).target).toEqual({ type: 'issue', id: 'ITEM-9' });
      expect((await get(`/v1/executions/${failed}`)).target).toBeNull();
    });

    it('lists the executions on a target, newest first, with their current run, and says one is active', async () => {
      const body = await targetRuns();
      expect(body).toMatchObject({ target: { type: 'issue', id: 'ITEM-9' }, active: true, nextCursor: null });
      expect(body.items.map((e: any) => e.id)).toEqual([slow, done]);
      const doneView = await get(`/v1/executions/${done}`);
      expect(body.items[1]).toMatchObject({
        id: done,
        status: 'completed',
        target: { type: 'issue', id: 'ITEM-9' },
        currentRunId: doneView.currentRun.id,
        currentRunNumber: doneView.currentRun.number,
      });
      expect(body.items[0]).toMatchObject({ id: slow, status: 'running', currentRunNumber: expect.any(Number) });
      expect((await get('/v1/targets/pr/ITEM-9/runs')).items.map((e: any) => e.id)).toEqual([elsewhere]);
    });

    it('active=true lists only the active ones; another owner sees none', async () => {
      const body = await targetRuns('?active=true');
      expect(body.items.map((e: any) => e.id)).toEqual([slow]);
      expect(body.active).toBe(true);
      expect((await targetRuns('?active=false')).items).toHaveLength(2);
      const other = await as(`other-${randomUUID()}`, ['execution:read']);
      expect(await (await other('/v1/targets/issue/ITEM-9/runs')).json()).toEqual({
        target: { type: 'issue', id: 'ITEM-9' },
        active: false,
        items: [],
        nextCursor: null,
      });
    });

    it('pages with limit and cursor', async () => {
      const first = await targetRuns('?limit=1');
      expect(first.items.map((e: any) => e.id)).toEqual([slow]);
      const second = await targetRuns(`?limit=1&cursor=${first.nextCursor}`);
      expect(second.items.map((e: any) => e.id)).toEqual([done]);
      expect(second.nextCursor).toBeNull();
    });

    it.each([
      ['active', '/v1/targets/issue/ITEM-9/runs?active=yes'],
      ['limit', '/v1/targets/issue/ITEM-9/runs?limit=0'],
      ['colour', '/v1/targets/issue/ITEM-9/runs?colour=blue'],
      ['cursor', '/v1/targets/issue/ITEM-9/runs?cursor=nope'],
      ['type', '/v1/targets/%20/ITEM-9/runs'],
      ['id', `/v1/targets/issue/${'x'.repeat(201)}/runs`],
    ])('refuses a bad %s with 400', async (param, path) => {
      const response = await stack.api(path);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { code: 'invalid_request', message: expect.stringContaining(param) } });
    });

    it.each([
      ['a blank type', { type: ' ', id: '1' }],
      ['a missing id', { type: 'issue' }],
      ['an id over 200 characters', { type: 'issue', id: 'x'.repeat(201) }],
      ['an unknown key', { type: 'issue', id: '1', url: 'https://example.com' }],
      ['a string', 'issue:1'],
    ])('refuses a target with %s at create time', async (_name, target) => {
      const response = await stack.post('/v1/executions', { projectId: 'ta-x', prompt: 'x', planMode: 'never', agentId: 'unattended', target });
      expect(response.status).toBe(400);
      expect((await response.json()).error.message).toMatch(/^target/);
    });

    it('refuses to archive the running execution with 409 naming its status', async () => {
      const response = await stack.post(`/v1/executions/${slow}/archive`);
      expect(response.status).toBe(409);
      const body = await response.json();
      expect(body.error.code).toBe('invalid_state');
      expect(body.error.message).toContain('running');
      expect(await eventTypes(slow)).not.toContain('execution.archived');
    });

    it('says the target is no longer active once its execution ended', async () => {
      expect((await stack.post(`/v1/executions/${slow}/cancel`)).status).toBe(200);
      await stack.waitForStatus(slow, 'cancelled');
      const body = await targetRuns();
      expect(body.active).toBe(false);
      expect(body.items.map((e: any) => e.status)).toEqual(['cancelled', 'completed']);
      expect((await targetRuns('?active=true')).items).toEqual([]);
    });
  });

  describe('archive and unarchive', () => {
    it('archives a failed execution: out of the default list and the status summary, still readable, audited', async () => {
      expect((await get('/v1/status')).recentFailures.map((f: any) => f.executionId)).toEqual([failed]);

      const response = await stack.post(`/v1/executions/${failed}/archive`);
      expect(response.status).toBe(200);
      const archived = await response.json();
      expect(archived).toMatchObject({ id: failed, status: 'failed', archived: true, archivedAt: expect.any(String) });

      expect(await listIds()).not.toContain(failed);
      expect(await listIds('archived=true')).toEqual([failed]);
      expect(await listIds('archived=all')).toContain(failed);
      expect(await get(`/v1/executions/${failed}`)).toMatchObject({ archived: true, archivedAt: archived.archivedAt, status: 'failed' });
      expect((await get('/v1/status')).recentFailures).toEqual([]);

      const events = await stack.events(failed);
      expect(events.filter((e: any) => e.type === 'execution.archived')).toEqual([
        expect.objectContaining({ actor: { kind: 'user', id: stack.ownerId }, occurredAt: archived.archivedAt }),
      ]);
    });

    it('archiving it again changes nothing and writes no event', async () => {
      const before = await get(`/v1/executions/${failed}`);
      const response = await stack.post(`/v1/executions/${failed}/archive`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ archived: true, archivedAt: before.archivedAt, updatedAt: before.updatedAt });
      expect((await eventTypes(failed)).filter((t: string) => t === 'execution.archived')).toHaveLength(1);
    });

    it('archives a completed execution on a target: it leaves the target list too', async () => {
      expect((await stack.post(`/v1/executions/${done}/archive`)).status).toBe(200);
      expect((await targetRuns()).items.map((e: any) => e.id)).toEqual([slow]);
    });

    it('unarchive brings it back, once', async () => {
      const response = await stack.post(`/v1/executions/${failed}/unarchive`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: failed, archived: false, archivedAt: null });
      expect(await listIds()).toContain(failed);
      expect(await listIds('archived=true')).toEqual([done]);
      expect((await get('/v1/status')).recentFailures.map((f: any) => f.executionId)).toEqual([failed]);
      expect((await eventTypes(failed)).slice(-2)).toEqual(['execution.archived', 'execution.unarchived']);

      const again = await stack.post(`/v1/executions/${failed}/unarchive`);
      expect(again.status).toBe(200);
      expect((await again.json()).archived).toBe(false);
      expect((await eventTypes(failed)).filter((t: string) => t === 'execution.unarchived')).toHaveLength(1);
    });

    it('a follow-up to an archived execution brings it back before it works again', async () => {
      expect((await get(`/v1/executions/${done}`)).archived).toBe(true);
      expect((await stack.post(`/v1/executions/${done}/messages`, { text: 'One more thing' })).status).toBe(200);
      expect((await get(`/v1/executions/${done}`)).archived).toBe(false);
      const unarchived = (await stack.events(done)).filter((e: any) => e.type === 'execution.unarchived');
      expect(unarchived).toEqual([expect.objectContaining({ payload: { reason: 'message' } })]);
      await stack.waitForExecution(done, 'the follow-up to complete', (body) => body.runs.length === 2 && body.status === 'completed');
    });

    it('refuses a body it does not understand, changing nothing', async () => {
      const response = await stack.post(`/v1/executions/${failed}/archive`, { now: true });
      expect(response.status).toBe(400);
      expect((await get(`/v1/executions/${failed}`)).archived).toBe(false);
    });

    it('needs execution:cancel, and answers 404 for executions of others and unknown ones', async () => {
      const reader = await as(stack.ownerId, ['execution:read']);
      for (const action of ['archive', 'unarchive']) {
        const response = await reader(`/v1/executions/${elsewhere}/${action}`, 'POST');
        expect(response.status).toBe(403);
        expect(await response.json()).toEqual({ error: { code: 'forbidden', message: 'this token lacks the permission execution:cancel' } });
      }
      const stranger = await as(`other-${randomUUID()}`);
      expect((await stranger(`/v1/executions/${elsewhere}/archive`, 'POST')).status).toBe(404);
      expect((await stack.post(`/v1/executions/${randomUUID()}/archive`)).status).toBe(404);
      expect((await stack.post('/v1/executions/not-a-uuid/unarchive')).status).toBe(404);
      expect((await get(`/v1/executions/${elsewhere}`)).archived).toBe(false);
    });

    it('leaves archived executions out of the status counts', async () => {
      // An archived execution that is somehow active again (written directly: no workflow runs it).
      const executionId = randomUUID();
      const payload = { projectId: 'ta-ghost', ownerId: stack.ownerId, agentId: 'unattended', prompt: 'ghost', planMode: 'never' };
      const occurredAt = new Date().toISOString();
      await appendEvent(stack.database.db, { eventId: randomUUID(), type: 'execution.created', executionId, occurredAt, payload });
      expect((await get('/v1/status')).running).toBe(1);
      await appendEvent(stack.database.db, { eventId: randomUUID(), type: 'execution.archived', executionId, occurredAt });
      await waitFor('the status to be idle', async () => ((await get('/v1/status')).label === 'Agents idle' ? true : undefined));
    });
  });
});
