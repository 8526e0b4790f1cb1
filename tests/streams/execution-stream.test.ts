import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApiServer } from '../../api/server.ts';
import { openDatabase } from '../../db/client.ts';
import { appendEvent } from '../../db/events.ts';
import { openSse, type SseClient } from '../helpers/sse-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { openWs } from '../helpers/ws-client.ts';

const ended = (events: any[]) => events.some((event) => event.type === 'run.completed');
const cursors = (events: any[]) => events.map((event) => event.cursor);

describe('GET /v1/executions/:id/stream', () => {
  let stack: TestStack;
  const auth = () => ({ authorization: `Bearer ${stack.token}` });
  const stream = (id: string, query = '', headers: Record<string, string> = {}) =>
    openSse(`${stack.url}/v1/executions/${id}/stream${query}`, { ...auth(), ...headers });
  const open: SseClient[] = [];
  const track = (client: SseClient) => {
    open.push(client);
    return client;
  };

  beforeAll(async () => {
    stack = await startTestStack({ streamLimits: { keepAliveMs: 300, maxQueued: 20, maxBufferedBytes: 1024 * 1024 } });
  });
  afterAll(async () => {
    for (const client of open) client.close();
    await stack?.close();
  });

  it('sends a finished execution whole, each event with its cursor as id, then keeps the stream alive', async () => {
    const id = await stack.createExecution({ projectId: 'sse-whole', prompt: 'Write notes', planMode: 'never' });
    await stack.waitForStatus(id, 'completed');
    const stored = await stack.events(id);
    const client = track(await stream(id));
    expect(client.status).toBe(200);
    await client.until((events) => events.length === stored.length);
    expect(client.events).toEqual(stored);
    const ids = client.frames.flatMap((frame) => ('id' in frame ? [frame.id] : []));
    expect(ids).toEqual(cursors(stored));
    await client.until((_events, frames) => frames.some((frame) => 'comment' in frame && frame.comment === 'keep-alive'), 5000);
    expect(client.events).toHaveLength(stored.length);
    client.close();
  });

  it('resumes after every event, by Last-Event-ID or ?after=, with no gap and no duplicate', async () => {
    const id = await stack.createExecution({ projectId: 'sse-resume', prompt: 'Write notes', planMode: 'never' });
    await stack.waitForStatus(id, 'completed');
    const stored = await stack.events(id);
    for (const [index, event] of stored.entries()) {
      const resume: { query: string; headers: Record<string, string> } =
        index % 2 ? { query: `?after=${event.cursor}`, headers: {} } : { query: '', headers: { 'last-event-id': event.cursor } };
      const expected = stored.slice(index + 1);
      const client = track(await stream(id, resume.query, resume.headers));
      // The last event has nothing after it: the stream is live and waits; a keep-alive proves it is open.
      await client.until(
        (events, frames) => events.length >= expected.length && frames.some((frame) => 'comment' in frame && frame.comment === 'keep-alive'),
        10_000,
      );
      expect(cursors(client.events)).toEqual(cursors(expected));
      client.close();
    }
  });

  it('hands over from catch-up to live without a gap or a duplicate, wherever a client joins a running execution', async () => {
    const id = await stack.createExecution({
      projectId: 'sse-live',
      prompt: 'Write notes',
      planMode: 'never',
      model: { provider: 'demo', model: 'demo-slow' },
    });
    const fromStart = track(await stream(id));
    const joined: Array<{ client: SseClient; after: string }> = [];
    // Join while it runs, each client resuming after the newest event the first client has seen.
    await fromStart.until((events) => events.some((event) => event.type === 'run.started'));
    for (let i = 0; i < 4 && !ended(fromStart.events); i++) {
      const last = fromStart.events.at(-1);
      joined.push({ client: track(await stream(id, `?after=${last.cursor}`)), after: last.cursor });
      await fromStart.until((events) => events.length > fromStart.events.indexOf(last) + 2 || ended(events), 20_000);
    }
    await fromStart.until(ended, 60_000);
    const stored = await stack.events(id);
    expect(cursors(fromStart.events)).toEqual(cursors(stored));
    expect(joined.length).toBeGreaterThan(1);
    for (const { client, after } of joined) {
      await client.until(ended, 10_000);
      // Exactly the events after its resume cursor: the first one included, none twice.
      const resumedAt = stored.findIndex((event) => event.cursor === after);
      expect(resumedAt).toBeGreaterThanOrEqual(0);
      expect(cursors(client.events)).toEqual(cursors(stored.slice(resumedAt + 1)));
    }
  }, 90_000);

  it('stops listening when the client goes', async () => {
    const id = await stack.createExecution({ projectId: 'sse-leave', prompt: 'Write notes', planMode: 'never' });
    await stack.waitForStatus(id, 'completed');
    const before = stack.server.feed.size;
    const client = await stream(id);
    await waitFor('the stream to listen', async () => (stack.server.feed.size === before + 1 ? true : undefined));
    client.close();
    await waitFor('the stream to stop listening', async () => (stack.server.feed.size === before ? true : undefined));
  });

  it('frees the listener of clients that leave at any moment, even before their stream has started', async () => {
    const id = await stack.createExecution({ projectId: 'sse-flaky', prompt: 'Write notes', planMode: 'never' });
    await stack.waitForStatus(id, 'completed');
    const before = stack.server.feed.size;
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const abort = new AbortController();
        setTimeout(() => abort.abort(), i);
        await fetch(`${stack.url}/v1/executions/${id}/stream`, { headers: auth(), signal: abort.signal })
          .then((r) => r.body?.cancel())
          .catch(() => {});
      }),
    );
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const ws = await openWs(`${stack.url}/v1/ws`, auth());
        ws.send({ type: 'subscribe', executionId: id });
        setTimeout(() => ws.socket.terminate(), i);
      }),
    );
    await waitFor('every listener to be freed', async () => (stack.server.feed.size === before ? true : undefined), 10_000);
    // A request still being handled when the client left would attach its listener late, and keep it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(stack.server.feed.size).toBe(before);
  });

  it('disconnects a client that stops reading rather than buffering for it without limit', async () => {
    const id = await stack.createExecution({ projectId: 'sse-slow', prompt: 'Write notes', planMode: 'never' });
    await stack.waitForStatus(id, 'completed');
    const before = stack.server.feed.size;
    let received = '';
    const request = http.get(`${stack.url}/v1/executions/${id}/stream`, { headers: auth() });
    const response = await new Promise<http.IncomingMessage>((resolve) => request.once('response', resolve));
    response.pause(); // never read, for now
    const gone = new Promise<void>((resolve) => request.on('close', () => resolve()));
    request.on('error', () => {});
    expect(response.statusCode).toBe(200);
    await waitFor('the stream to listen', async () => (stack.server.feed.size === before + 1 ? true : undefined));
    const written = await writeBulkUntilDropped(id, before);
    // Past the sockets' buffers and the queue's limit (20): the server dropped the client.
    expect(written).toBeGreaterThan(20);
    // Reading now finds a connection the server ended early: fewer events than were written.
    response.on('data', (chunk) => (received += chunk));
    response.resume();
    await gone;
    expect(received.split('"type":"test.bulk"').length - 1).toBeLessThan(written);
  }, 60_000);

  it('disconnects a WebSocket client that stops reading once too much waits unsent', async () => {
    const id = await stack.createExecution({ projectId: 'ws-slow', prompt: 'Write notes', planMode: 'never' });
    await stack.waitForStatus(id, 'completed');
    const before = stack.server.feed.size;
    const ws = await openWs(`${stack.url}/v1/ws`, auth());
    ws.send({ type: 'subscribe', executionId: id });
    await ws.until((messages) => messages.some((m) => m.type === 'event' && m.event.type === 'run.completed'));
    ws.socket.pause(); // never read, for now
    const closed = new Promise<void>((resolve) => ws.socket.once('close', () => resolve()));
    const written = await writeBulkUntilDropped(id, before);
    expect(written).toBeGreaterThan(20);
    ws.socket.resume();
    await closed;
    expect(ws.messages.filter((m) => m.type === 'event' && m.event.type === 'test.bulk').length).toBeLessThan(written);
  }, 60_000);

  /**
   * Writes 64 KB events for the execution (far more than socket buffers hold) until the server drops
   * the one stream listening beyond `before`, then waits for that; returns how many it wrote.
   */
  async function writeBulkUntilDropped(executionId: string, before: number): Promise<number> {
    const big = 'x'.repeat(64 * 1024);
    let written = 0;
    while (stack.server.feed.size > before && written < 1000) {
      await appendEvent(stack.database.db, {
        eventId: randomUUID(),
        type: 'test.bulk',
        executionId,
        occurredAt: new Date().toISOString(),
        payload: { i: written, big },
      });
      written++;
    }
    await waitFor('the server to drop the stream', async () => (stack.server.feed.size === before ? true : undefined));
    return written;
  }

  it('refuses a bad cursor, a cursor beyond the newest event, and an execution the caller cannot read', async () => {
    const id = await stack.createExecution({ projectId: 'sse-bad', prompt: 'Write notes', planMode: 'never' });
    const get = (path: string, headers: Record<string, string> = auth()) => fetch(`${stack.url}${path}`, { headers });
    const error = async (response: Response) => ({ status: response.status, code: (await response.json()).error.code });
    expect(await error(await get(`/v1/executions/${id}/stream?after=abc`))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await error(await get(`/v1/executions/${id}/stream`, { ...auth(), 'last-event-id': '-1' }))).toEqual({
      status: 400,
      code: 'invalid_request',
    });
    expect(await error(await get(`/v1/executions/${id}/stream?after=999999999999`))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await error(await get(`/v1/executions/${id}/stream?from=1`))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await error(await get(`/v1/executions/${id}/stream?from=1`, { ...auth(), 'last-event-id': '1' }))).toEqual({
      status: 400,
      code: 'invalid_request',
    });
    expect(await error(await get(`/v1/executions/${randomUUID()}/stream`))).toEqual({ status: 404, code: 'not_found' });
    const stranger = (await stack.tokenFor(`owner-${randomUUID()}`)).token;
    expect(await error(await get(`/v1/executions/${id}/stream`, { authorization: `Bearer ${stranger}` }))).toEqual({
      status: 404,
      code: 'not_found',
    });
    const readless = (await stack.tokenFor('owner', { permissions: ['execution:create'] })).token;
    expect(await error(await get(`/v1/executions/${id}/stream`, { authorization: `Bearer ${readless}` }))).toEqual({
      status: 403,
      code: 'forbidden',
    });
    expect(await error(await get(`/v1/executions/${id}/stream`, {}))).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('streams live from another API process than the one (and the worker) that wrote the events', async () => {
    const other = await openDatabase({ databaseUrl: inject('databaseUrl') });
    const second = await startApiServer(
      { database: other, client: stack.env.client, connection: stack.env.connection, taskQueue: stack.taskQueue, executionIdleTimeoutMs: 60_000 },
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const id = await stack.createExecution({ projectId: 'sse-second', prompt: 'Write notes', planMode: 'never' });
      const client = track(await openSse(`${second.url}/v1/executions/${id}/stream`, auth()));
      await client.until(ended, 60_000);
      expect(cursors(client.events)).toEqual(cursors(await stack.events(id)));
      client.close();
    } finally {
      await second.close();
      await other.close();
    }
  });
});
