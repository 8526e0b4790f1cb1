import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveAgent } from '../../db/agents.ts';
import { appendEvent } from '../../db/events.ts';
import { startTestStack, type TestStack, UNATTENDED_AGENT } from '../helpers/test-stack.ts';

const DAY_MS = 86_400_000;

describe('GET /v1/executions filters and search, GET /v1/agents/:id/runs', () => {
  let stack: TestStack;
  // Created through the API in this order (so newest last): A, B, C, D, H. D is archived.
  let A: string, B: string, C: string, D: string, H: string;
  // Written straight into the event log with old creation times (no workflow: they stay pending).
  let E: string, F: string, G: string;

  const list = async (query: string) => {
    const response = await stack.api(`/v1/executions?${query}`);
    expect(response.status, await response.clone().text()).toBe(200);
    return response.json();
  };
  const ids = async (query: string) => (await list(query)).items.map((e: any) => e.id);

  /** An execution created `daysAgo` days ago, written as its execution.created event. */
  async function insertOld(daysAgo: number, prompt: string, background = false) {
    const executionId = randomUUID();
    await appendEvent(stack.database.db, {
      eventId: randomUUID(),
      type: 'execution.created',
      executionId,
      occurredAt: new Date(Date.now() - daysAgo * DAY_MS).toISOString(),
      payload: { projectId: 'ls-old', ownerId: stack.ownerId, agentId: 'unattended', prompt, planMode: 'never', background },
    });
    return executionId;
  }

  beforeAll(async () => {
    stack = await startTestStack();
    await saveAgent(stack.database.db, stack.tenantId, { ...UNATTENDED_AGENT, id: 'lister', name: 'Second unattended test agent' });
    E = await insertOld(3, 'Three days old', true);
    F = await insertOld(20, 'Twenty days old');
    G = await insertOld(60, 'Sixty days old');

    // Run numbers are handed out as runs are recorded: each execution's run is recorded before the next
    // is created, so run numbers follow creation order (the agent's Runs tab below relies on it).
    const create = async (body: Record<string, unknown>) => {
      const id = await stack.createExecution({ planMode: 'never', ...body });
      await stack.waitForExecution(id, 'its run to be recorded', (execution) => execution.runs.length === 1);
      return id;
    };
    A = await create({ projectId: 'ls-a', prompt: 'Fix billing invoice rounding', ticket: 'T-1', target: { type: 'issue', id: '1' } });
    B = await create({ projectId: 'ls-b', prompt: 'Refactor the billing module', ticket: 'T-2', model: { provider: 'demo', model: 'demo-fail' } });
    C = await create({ projectId: 'ls-a', prompt: 'Write release notes', agentId: 'lister' });
    D = await create({ projectId: 'ls-c', prompt: 'Tidy the billing changelog', agentId: 'lister' });
    H = await create({ projectId: 'ls-d', prompt: 'Update the docs', agentId: 'lister' });
    await stack.waitForStatus(B, 'failed');
    for (const id of [A, C, D, H]) await stack.waitForStatus(id, 'completed');
    expect((await stack.post(`/v1/executions/${D}/archive`)).status).toBe(200);
    // A second run of C, newer than H's only run (for the agent's Runs tab).
    expect((await stack.post(`/v1/executions/${C}/messages`, { text: 'Also add a changelog entry' })).status).toBe(200);
    await stack.waitForExecution(C, 'the second run of C to complete', (c) => c.runs.length === 2 && c.status === 'completed');
  });
  afterAll(() => stack?.close());

  it('lists the unarchived executions newest first by default, without the search document', async () => {
    const body = await list('');
    expect(body.items.map((e: any) => e.id)).toEqual([H, C, B, A, E, F, G]);
    expect(body.nextCursor).toBeNull();
    for (const item of body.items) {
      expect(item).not.toHaveProperty('rank');
    }
    expect(body.items.find((e: any) => e.id === A)).toMatchObject({
      target: { type: 'issue', id: '1' },
      ticket: 'T-1',
      archived: false,
      archivedAt: null,
    });
    expect(body.items.find((e: any) => e.id === C)).toMatchObject({ target: null });
  });

  it.each([
    ['projectId=ls-a', () => [C, A]],
    ['agentId=lister', () => [H, C]],
    ['agentId=lister&archived=all', () => [H, D, C]],
    ['status=failed', () => [B]],
    ['status=completed,failed', () => [H, C, B, A]],
    ['status=pending', () => [E, F, G]],
    ['ticket=T-1', () => [A]],
    ['target=issue:1', () => [A]],
    ['target=issue:2', () => []],
    ['background=true', () => [E]],
    ['background=false', () => [H, C, B, A, F, G]],
    ['archived=true', () => [D]],
    ['archived=all', () => [H, D, C, B, A, E, F, G]],
    ['range=today', () => [H, C, B, A]],
    ['range=week', () => [H, C, B, A, E]],
    ['range=month', () => [H, C, B, A, E, F]],
    ['range=all', () => [H, C, B, A, E, F, G]],
    ['projectId=ls-a&status=completed&agentId=unattended', () => [A]],
  ])('%s narrows the list', async (query, expected) => {
    expect(await ids(query)).toEqual(expected());
  });

  it('filters on the creation time with since (inclusive) and until (exclusive)', async () => {
    const ago = (days: number) => encodeURIComponent(new Date(Date.now() - days * DAY_MS).toISOString());
    expect(await ids(`since=${ago(25)}&until=${ago(10)}`)).toEqual([F]);
    expect(await ids(`since=${ago(4)}`)).toEqual([H, C, B, A, E]);
    expect(await ids(`until=${ago(4)}`)).toEqual([F, G]);
    const created = (await list('projectId=ls-old&status=pending')).items.find((e: any) => e.id === F).createdAt;
    expect(await ids(`since=${encodeURIComponent(created)}&until=${ago(10)}`)).toEqual([F]);
    expect(await ids(`until=${encodeURIComponent(created)}`)).toEqual([G]);
    expect(await ids('since=2025-01-01T10:00:00%2B02:00&until=2025-01-01T08:00:00Z')).toEqual([]); // equal bounds: allowed, empty
  });

  it('searches the prompt: stemmed, ranked, ties newest first, archived ones only on request', async () => {
    expect(await ids('q=billing')).toEqual([B, A]); // equal rank: newest first
    expect(await ids('q=billing%20invoice')).toEqual([A]); // every word must match
    expect(await ids('q=billing%20or%20invoice')).toEqual([A, B]); // A matches both words: ranked first though older
    expect(await ids('q=invoices')).toEqual([A]);
    expect(await ids('q=%22release%20notes%22')).toEqual([C]);
    expect(await ids('q=billing%20-invoice')).toEqual([B]);
    expect(await ids('q=the')).toEqual([]); // only a stop word: nothing to search for
    expect(await ids('q=billing&status=failed')).toEqual([B]);
    expect(await ids('q=billing&archived=all')).toContain(D);
    expect(await ids('q=billing&archived=all')).toHaveLength(3);
    const other = (await stack.tokenFor(`other-${randomUUID()}`)).token;
    const theirs = await (await stack.api('/v1/executions?q=billing', { headers: { authorization: `Bearer ${other}` } })).json();
    expect(theirs.items).toEqual([]);
  });

  it('pages a search by rank with an opaque cursor, across equal ranks', async () => {
    const pages = async (query: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const body: any = await list(`${query}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...body.items.map((e: any) => e.id));
        cursor = body.nextCursor;
      } while (cursor && seen.length < 10);
      return seen;
    };
    expect(await pages('q=billing')).toEqual([B, A]);
    expect(await pages('q=billing%20or%20invoice')).toEqual([A, B]);

    const searched = await list('q=billing&limit=1');
    const plain = await list('limit=1');
    expect((await stack.api(`/v1/executions?limit=1&cursor=${searched.nextCursor}`)).status).toBe(400);
    expect((await stack.api(`/v1/executions?q=billing&limit=1&cursor=${plain.nextCursor}`)).status).toBe(400);
  });

  it.each([
    ['status', 'status=sleeping'],
    ['status', 'status=completed,'],
    ['projectId', 'projectId='],
    ['agentId', 'agentId=%20'],
    ['ticket', 'ticket='],
    ['target', 'target=issue'],
    ['target', 'target=:1'],
    ['target', 'target=issue:'],
    ['since', 'since=yesterday'],
    ['since', 'since=2025-01-31'],
    ['until', 'until=2025-13-01T00:00:00Z'],
    ['since', 'since=0000-01-01T00:00:00Z'],
    ['until', 'until=0001-01-01T00:00:00%2B14:00'],
    ['since', 'since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z'],
    ['range', 'range=year'],
    ['range', 'range=week&since=2025-01-01T00:00:00Z'],
    ['range', 'range=today&until=2025-01-01T00:00:00Z'],
    ['archived', 'archived=maybe'],
    ['background', 'background=yes'],
    ['q', `q=${'x'.repeat(201)}`],
    ['q', 'q=%20%20'],
    ['cursor', 'cursor=not-a-cursor'],
    ['limit', 'limit=0'],
    ['limit', 'limit=101'],
    ['colour', 'colour=blue'],
  ])('refuses a bad %s (%s) with 400 naming it', async (param, query) => {
    const response = await stack.api(`/v1/executions?${query}`);
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body).toEqual({ error: { code: 'invalid_request', message: expect.stringContaining(param) } });
  });

  it('keeps and finds an execution whose prompt is too large to index whole (a tsvector holds at most 1 MB)', async () => {
    // Another owner, so the lists above stay as they are.
    const token = (await stack.tokenFor(`owner-${randomUUID()}`)).token;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const words = Array.from({ length: 120_000 }, (_, i) => `w${i.toString(36).padStart(5, 'a')}`);
    const prompt = `Tidy the zanzibar ledger ${words.join(' ')}`;
    expect(prompt.length).toBeGreaterThan(800_000);
    const created = await fetch(`${stack.url}/v1/executions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ projectId: 'ls-big', prompt, planMode: 'never', agentId: 'unattended' }),
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    const found = await (await fetch(`${stack.url}/v1/executions?q=zanzibar`, { headers })).json();
    expect(found.items.map((e: any) => e.id)).toEqual([id]);
    expect(found.items[0].prompt).toBe(prompt);
  });

  describe('GET /v1/agents/:id/runs', () => {
    const runs = async (agentId: string, query = '') => {
      const response = await stack.api(`/v1/agents/${agentId}/runs?${query}`);
      expect(response.status, await response.clone().text()).toBe(200);
      return response.json();
    };

    it("lists the caller's runs of that agent, newest first, without archived executions", async () => {
      const c = await (await stack.api(`/v1/executions/${C}`)).json();
      const h = await (await stack.api(`/v1/executions/${H}`)).json();
      expect(c.runs).toHaveLength(2);
      const body = await runs('lister');
      expect(body.items.map((r: any) => r.id)).toEqual([c.runs[1].id, h.runs[0].id, c.runs[0].id]);
      expect(body.items[0]).toEqual({ ...c.runs[1], executionId: C, prompt: 'Write release notes', projectId: 'ls-a' });
      expect(body.items[1]).toMatchObject({
        executionId: H,
        prompt: 'Update the docs',
        projectId: 'ls-d',
        status: 'completed',
        number: h.runs[0].number,
      });
      expect(body.nextCursor).toBeNull();

      const unattended = await runs('unattended');
      expect(unattended.items.map((r: any) => r.executionId)).toEqual([B, A]);
    });

    it('pages by run number', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const body: any = await runs('lister', `limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        expect(body.items).toHaveLength(1);
        seen.push(body.items[0].id);
        cursor = body.nextCursor;
      } while (cursor && seen.length < 10);
      expect(seen).toEqual((await runs('lister')).items.map((r: any) => r.id));
      expect(seen).toHaveLength(3);
    });

    it('shows another owner none of them, 404s an unknown agent and refuses bad paging', async () => {
      const other = (await stack.tokenFor(`other-${randomUUID()}`, { permissions: ['execution:read'] })).token;
      const theirs = await (await stack.api('/v1/agents/lister/runs', { headers: { authorization: `Bearer ${other}` } })).json();
      expect(theirs).toEqual({ items: [], nextCursor: null });
      const missing = await stack.api('/v1/agents/no-such-agent/runs');
      expect(missing.status).toBe(404);
      expect((await missing.json()).error.code).toBe('not_found');
      for (const query of ['cursor=abc', 'limit=0', 'limit=101', 'colour=blue']) {
        const response = await stack.api(`/v1/agents/lister/runs?${query}`);
        expect(response.status, query).toBe(400);
        expect((await response.json()).error.code).toBe('invalid_request');
      }
    });
  });

  // Last: the execution it creates would show up in the lists above.
  it('pages through every execution with limit=2, with no duplicate and no gap, while a new one is created', async () => {
    const all = await ids('archived=all');
    const seen: string[] = [];
    let cursor: string | null = null;
    let late: string | undefined;
    let pages = 0;
    do {
      const body: any = await list(`archived=all&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((e: any) => e.id));
      cursor = body.nextCursor;
      pages++;
      late ??= await stack.createExecution({ projectId: 'ls-late', prompt: 'Arrives between pages', planMode: 'never' });
    } while (cursor && pages < 10);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
    expect(await ids('limit=1')).toEqual([late]);
    await stack.waitForStatus(late!, 'completed');
  });
});
