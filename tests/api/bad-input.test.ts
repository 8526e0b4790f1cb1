import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowCounts } from '../helpers/row-counts.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Every refused request answers 4xx with the JSON error shape, writes no row and starts no workflow.
describe('bad input to POST /v1/executions', () => {
  let stack: TestStack;
  let countsBefore: Record<string, number>;

  beforeAll(async () => {
    stack = await startTestStack();
    countsBefore = await rowCounts(stack.database.db, stack.ownerId);
  });
  afterAll(() => stack?.close());

  const cases: Array<[string, number, string, string]> = [
    ['non-JSON', 400, 'invalid_json', 'this is not json'],
    ['truncated JSON', 400, 'invalid_json', '{"projectId": "p", "prompt": '],
    ['a JSON array', 400, 'invalid_request', '[]'],
    ['an empty body', 400, 'invalid_json', ''],
    ['missing prompt', 400, 'invalid_request', JSON.stringify({ projectId: 'p' })],
    ['empty prompt', 400, 'invalid_request', JSON.stringify({ projectId: 'p', prompt: '' })],
    ['blank prompt', 400, 'invalid_request', JSON.stringify({ projectId: 'p', prompt: '  \n ' })],
    ['missing projectId', 400, 'invalid_request', JSON.stringify({ prompt: 'hi' })],
    ['empty projectId', 400, 'invalid_request', JSON.stringify({ projectId: '', prompt: 'hi' })],
    ['numeric prompt', 400, 'invalid_request', JSON.stringify({ projectId: 'p', prompt: 42 })],
    ['array projectId', 400, 'invalid_request', JSON.stringify({ projectId: ['p'], prompt: 'hi' })],
    ['null prompt', 400, 'invalid_request', JSON.stringify({ projectId: 'p', prompt: null })],
    ['numeric planMode', 400, 'invalid_request', JSON.stringify({ projectId: 'p', prompt: 'hi', planMode: 1 })],
    ['unknown planMode', 400, 'invalid_request', JSON.stringify({ projectId: 'p', prompt: 'hi', planMode: 'sometimes' })],
    ['an unknown field', 400, 'invalid_request', JSON.stringify({ projectId: 'p', prompt: 'hi', priority: 'high' })],
    ['a body over 1 MB', 413, 'payload_too_large', JSON.stringify({ projectId: 'p', prompt: 'x'.repeat(1024 * 1024) })],
  ];

  it.each(cases)('%s → %i %s', async (_name, status, code, body) => {
    const response = await stack.api('/v1/executions', { method: 'POST', body });
    expect(response.status).toBe(status);
    const json = await response.json();
    expect(json).toEqual({ error: { code, message: expect.any(String) } });
    expect(json.error.message.length).toBeGreaterThan(5);
  });

  it('names the offending field', async () => {
    const response = await stack.api('/v1/executions', {
      method: 'POST',
      body: JSON.stringify({ projectId: 'p', prompt: 'hi', planMode: 'sometimes' }),
    });
    expect((await response.json()).error.message).toMatch(/^planMode: /);
  });

  it('refuses an oversized body sent without Content-Length (chunked) before reading it all', async () => {
    // The server answers 413 as soon as the limit is passed, while the client is still sending, and
    // closes the connection. A client still writing may see that close (EPIPE, ECONNRESET) before it
    // reads the 413: either way the server stopped before reading the whole body.
    const outcome = await new Promise<{ status: number | 'cut'; sent: number }>((resolve, reject) => {
      const request = http.request(`${stack.url}/v1/executions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.token}`, 'transfer-encoding': 'chunked' },
      });
      request.on('response', (response) => resolve({ status: response.statusCode ?? 0, sent }));
      request.on('error', (err: NodeJS.ErrnoException) =>
        ['EPIPE', 'ECONNRESET'].includes(err.code ?? '') ? resolve({ status: 'cut', sent }) : reject(err),
      );
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 40 && !request.destroyed) if (!request.write(chunk, () => {}) || ++sent % 8 === 0) return void setImmediate(pump);
        if (sent >= 40) request.end();
      };
      pump();
    });
    if (outcome.status === 'cut') expect(outcome.sent).toBeLessThan(40);
    else expect(outcome.status).toBe(413);
  });

  it('wrote no row and started no workflow for any of them', async () => {
    expect(await rowCounts(stack.database.db, stack.ownerId)).toEqual(countsBefore);
    // Fence: one valid execution on this file's task queue. Once it is visible, a workflow wrongly
    // started by a refused request earlier would be visible too.
    const fence = await (await stack.api('/v1/executions', { method: 'POST', body: JSON.stringify({ projectId: 'p', prompt: 'fence' }) })).json();
    const visible = await waitFor('the fence workflow to be visible', async () => {
      const ids: string[] = [];
      for await (const wf of stack.env.client.workflow.list({ query: `WorkflowType="executionWorkflow" AND TaskQueue="${stack.taskQueue}"` })) {
        ids.push(wf.workflowId);
      }
      return ids.length > 0 ? ids : undefined;
    });
    expect(visible).toEqual([`execution-${fence.id}`]);
  });
});

describe('reads of unknown or malformed things', () => {
  let stack: TestStack;
  let executionId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const response = await stack.api('/v1/executions', { method: 'POST', body: JSON.stringify({ projectId: 'p', prompt: 'hi' }) });
    executionId = (await response.json()).id;
  });
  afterAll(() => stack?.close());

  it.each([
    ['an unknown execution id', 404, 'not_found', '/v1/executions/00000000-0000-4000-8000-000000000000'],
    ['a malformed execution id', 404, 'not_found', '/v1/executions/not-a-uuid'],
    ['events of an unknown execution', 404, 'not_found', '/v1/executions/00000000-0000-4000-8000-000000000000/events'],
    ['an unknown route', 404, 'not_found', '/v1/nothing-here'],
  ])('%s → %i', async (_name, status, code, path) => {
    const response = await stack.api(path);
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error: { code, message: expect.any(String) } });
  });

  it.each([
    ['a non-numeric cursor', 'cursor=abc'],
    ['a negative cursor', 'cursor=-1'],
    ['a zero limit', 'limit=0'],
    ['a limit over 500', 'limit=501'],
    ['a non-numeric limit', 'limit=many'],
  ])('events with %s → 400', async (_name, query) => {
    const response = await stack.api(`/v1/executions/${executionId}/events?${query}`);
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('invalid_request');
  });
});
