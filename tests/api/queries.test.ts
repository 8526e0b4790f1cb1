import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

describe('listing executions, reading runs, and create options', () => {
  let stack: TestStack;
  const ids: string[] = [];

  beforeAll(async () => {
    delete process.env.OPENAI_API_KEY; // "an unconfigured provider" below, on a machine that has a key
    stack = await startTestStack();
    for (const [projectId, model] of [
      ['list-a', 'demo'],
      ['list-b', 'demo'],
      ['list-a', 'demo-fail'],
    ]) {
      const response = await stack.api('/v1/executions', {
        method: 'POST',
        body: JSON.stringify({
          projectId,
          prompt: `in ${projectId}`,
          planMode: 'never',
          agentId: 'unattended',
          model: { provider: 'demo', model },
          ticket: 'TICKET-7',
        }),
      });
      ids.push((await response.json()).id);
    }
    await stack.waitForStatus(ids[0]!, 'completed');
    await stack.waitForStatus(ids[1]!, 'completed');
    await stack.waitForStatus(ids[2]!, 'failed');
  });
  afterAll(() => stack?.close());

  const list = async (query: string) => (await stack.api(`/v1/executions?${query}`)).json();

  it("lists the caller's executions newest first, filtered by project and status, page by page", async () => {
    expect((await list('')).items.map((e: any) => e.id)).toEqual([...ids].reverse());
    expect((await list('projectId=list-a')).items.map((e: any) => e.id)).toEqual([ids[2], ids[0]]);
    expect((await list('status=failed')).items.map((e: any) => e.id)).toEqual([ids[2]]);
    expect((await list('status=completed,failed&projectId=list-b')).items.map((e: any) => e.id)).toEqual([ids[1]]);

    const first = await list('limit=2');
    expect(first.items).toHaveLength(2);
    const second = await list(`limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((e: any) => e.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
    expect(first.items[0]).toMatchObject({ ticket: 'TICKET-7', model: { provider: 'demo', model: 'demo-fail' } });

    const other = (await stack.tokenFor('someone-else')).token;
    const theirs = await (await stack.api('/v1/executions', { headers: { authorization: `Bearer ${other}` } })).json();
    expect(theirs.items).toEqual([]);
  });

  it('reads a run by id or by its global number', async () => {
    const execution = await (await stack.api(`/v1/executions/${ids[2]}`)).json();
    const run = execution.runs[0];
    const byId = await (await stack.api(`/v1/runs/${run.id}`)).json();
    const byNumber = await (await stack.api(`/v1/runs/${run.number}`)).json();
    expect(byId).toEqual(byNumber);
    expect(byId).toMatchObject({
      executionId: ids[2],
      status: 'failed',
      error: { type: 'model_request', message: expect.stringContaining('demo-fail fails at its first step by design') },
    });
    expect((await stack.api('/v1/runs/99999999')).status).toBe(404);
    expect((await stack.api('/v1/runs/run-1')).status).toBe(404);
  });

  it.each([
    ['an unconfigured provider', { model: { provider: 'openai', model: 'gpt-5' } }, 422, 'model_not_configured'],
    ['an unknown demo model', { model: { provider: 'demo', model: 'demo-fast' } }, 422, 'model_not_configured'],
    ['a model without a provider', { model: { model: 'demo' } }, 400, 'invalid_request'],
    ['an approval timeout of nonsense', { approvalTimeout: 'soon' }, 400, 'invalid_request'],
    ['an approval timeout under a second', { approvalTimeout: 10 }, 400, 'invalid_request'],
    ['an approval timeout over 30 days', { approvalTimeout: '31d' }, 400, 'invalid_request'],
  ])('refuses %s at create time', async (_name, extra, status, code) => {
    const response = await stack.api('/v1/executions', { method: 'POST', body: JSON.stringify({ projectId: 'p', prompt: 'x', ...extra }) });
    expect(response.status).toBe(status);
    const body = await response.json();
    expect(body.error.code).toBe(code);
    if (status === 422) expect(body.error.message).toMatch(/not configured|has no model/);
  });
});
