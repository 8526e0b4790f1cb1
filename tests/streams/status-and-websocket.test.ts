import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_EVENT_TYPES, statusAfter } from '../../common/status-events.ts';
import { openSse, type SseClient } from '../helpers/sse-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { openWs, type WsClient } from '../helpers/ws-client.ts';

const TERMINAL = ['completed', 'failed', 'cancelled'];

describe('status stream and WebSocket', () => {
  let stack: TestStack;
  const auth = () => ({ authorization: `Bearer ${stack.token}` });
  const closers: Array<SseClient | WsClient> = [];
  const track = <T extends SseClient | WsClient>(client: T) => {
    closers.push(client);
    return client;
  };

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    for (const client of closers) client.close();
    await stack?.close();
  });

  describe('GET /v1/stream', () => {
    it("sends the caller's status changes from now, not other owners', and resumes after a cursor", async () => {
      const sidebar = track(await openSse(`${stack.url}/v1/stream`, auth()));
      expect(sidebar.status).toBe(200);
      const stranger = (await stack.tokenFor(`owner-${randomUUID()}`)).token;
      const theirs = await fetch(`${stack.url}/v1/executions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stranger}`, 'content-type': 'application/json' },
        body: JSON.stringify({ projectId: 'theirs', prompt: 'not yours', planMode: 'never', agentId: 'unattended' }),
      });
      expect(theirs.status).toBe(201);
      const theirId = (await theirs.json()).id;
      const id = await stack.createExecution({ projectId: 'sidebar', prompt: 'Write notes', planMode: 'never' });

      const changes = await sidebar.until((events) => events.some((e) => e.executionId === id && TERMINAL.includes(e.status)), 60_000);
      const mine = changes.filter((e) => e.executionId === id);
      // Exactly the execution's status-changing events, in order, each with the status it leads to.
      const stored = (await stack.events(id)).filter((e) => STATUS_EVENT_TYPES.includes(e.type));
      expect(mine.map((e) => [e.cursor, e.type, e.status])).toEqual(stored.map((e) => [e.cursor, e.type, statusAfter(e.type)]));
      expect(mine.map((e) => e.status)).toContain('running');
      expect(mine[0]).toMatchObject({ type: 'execution.created', status: 'pending', background: false });
      expect(mine.at(-1)).toMatchObject({ type: 'run.completed', status: 'completed', runNumber: expect.any(Number) });
      // Only status changes: no tool or model events.
      expect(changes.every((e) => !e.type.startsWith('tool.') && !e.type.startsWith('model.'))).toBe(true);
      expect(changes.some((e) => e.executionId === theirId)).toBe(false);

      // Resuming after the first change gives exactly the rest.
      const resumed = track(await openSse(`${stack.url}/v1/stream?after=${mine[0].cursor}`, auth()));
      await resumed.until((events) => events.some((e) => e.cursor === mine.at(-1).cursor));
      expect(resumed.events.filter((e) => e.executionId === id).map((e) => e.cursor)).toEqual(mine.slice(1).map((e) => e.cursor));
      expect(resumed.events.some((e) => e.executionId === theirId)).toBe(false);
    });

    it('refuses a malformed or future cursor', async () => {
      for (const after of ['x1', '99999999999999']) {
        const response = await fetch(`${stack.url}/v1/stream?after=${after}`, { headers: auth() });
        expect(response.status).toBe(400);
        expect((await response.json()).error.code).toBe('invalid_request');
      }
    });
  });

  describe('GET /v1/ws', () => {
    it("streams an execution after a cursor, and the caller's status changes, until unsubscribed", async () => {
      const id = await stack.createExecution({ projectId: 'ws-one', prompt: 'Write notes', planMode: 'never' });
      await stack.waitForStatus(id, 'completed');
      const stored = await stack.events(id);
      const ws = track(await openWs(`${stack.url}/v1/ws`, auth()));

      ws.send({ type: 'subscribe', executionId: id, after: stored[2].cursor });
      const forId = (messages: any[]) => messages.filter((m) => m.type === 'event' && m.executionId === id).map((m) => m.event);
      await ws.until((messages) => forId(messages).length === stored.length - 3);
      expect(ws.messages[0]).toEqual({ type: 'subscribed', executionId: id, after: stored[2].cursor });
      expect(forId(ws.messages)).toEqual(stored.slice(3));

      ws.send({ type: 'subscribe', scope: 'me' });
      await ws.until((messages) => messages.some((m) => m.type === 'subscribed' && m.scope === 'me'));
      const next = await stack.createExecution({ projectId: 'ws-two', prompt: 'More notes', planMode: 'never' });
      await ws.until(
        (messages) => messages.some((m) => m.type === 'status' && m.change.executionId === next && m.change.status === 'completed'),
        60_000,
      );

      ws.send({ type: 'unsubscribe', scope: 'me' });
      await ws.until((messages) => messages.some((m) => m.type === 'unsubscribed' && m.scope === 'me'));
      const count = ws.messages.length;
      const third = await stack.createExecution({ projectId: 'ws-three', prompt: 'Even more', planMode: 'never' });
      await stack.waitForStatus(third, 'completed');
      // Messages keep their order: once the third's own events arrive, any status change of it would have come first.
      ws.send({ type: 'subscribe', executionId: third });
      await ws.until((messages) => messages.some((m) => m.type === 'event' && m.event.type === 'run.completed' && m.executionId === third));
      expect(ws.messages.slice(count).filter((m) => m.type === 'status')).toEqual([]);
    });

    it('follows a running execution live on a browser-style socket authorised by access_token', async () => {
      const id = await stack.createExecution({ projectId: 'ws-live', prompt: 'Write notes', planMode: 'never' });
      const socket = new WebSocket(`${stack.url.replace('http', 'ws')}/v1/ws?access_token=${stack.token}`);
      const events: any[] = [];
      socket.onmessage = (message) => {
        const parsed = JSON.parse(String(message.data));
        if (parsed.type === 'event') events.push(parsed.event);
      };
      await new Promise((resolve) => (socket.onopen = resolve));
      socket.send(JSON.stringify({ type: 'subscribe', executionId: id }));
      await waitFor('run.completed over the socket', async () => (events.some((e) => e.type === 'run.completed') ? true : undefined), 60_000);
      socket.close();
      expect(events.map((e) => e.cursor)).toEqual((await stack.events(id)).map((e: any) => e.cursor));
    });

    it('answers bad messages and unreadable executions with errors like the REST routes, and keeps the socket', async () => {
      const stranger = (await stack.tokenFor(`owner-${randomUUID()}`)).token;
      const strangers = await fetch(`${stack.url}/v1/executions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stranger}`, 'content-type': 'application/json' },
        // A project of the stranger's own: the earlier stranger's `theirs` is not theirs to use.
        body: JSON.stringify({ projectId: 'theirs-too', prompt: 'not yours', planMode: 'never', agentId: 'unattended' }),
      });
      expect(strangers.status).toBe(201);
      const theirId = (await strangers.json()).id;
      const ws = track(await openWs(`${stack.url}/v1/ws`, auth()));
      const errors = () => ws.messages.filter((m) => m.type === 'error');
      const sendAndWait = async (message: unknown) => {
        const before = errors().length;
        ws.send(message);
        await ws.until(() => errors().length > before);
        return errors().at(-1);
      };
      expect(await sendAndWait({ type: 'subscribe', executionId: theirId })).toMatchObject({
        status: 404,
        error: { code: 'not_found' },
        request: { type: 'subscribe', executionId: theirId },
      });
      expect(await sendAndWait({ type: 'subscribe', executionId: randomUUID() })).toMatchObject({ status: 404 });
      expect(await sendAndWait('not json')).toMatchObject({ status: 400, error: { code: 'invalid_json' } });
      expect(await sendAndWait({ type: 'subscribe' })).toMatchObject({ status: 400, error: { code: 'invalid_request' } });
      expect(await sendAndWait({ type: 'subscribe', scope: 'everyone' })).toMatchObject({ status: 400 });
      expect(await sendAndWait({ type: 'subscribe', scope: 'me', after: 'abc' })).toMatchObject({
        status: 400,
        error: { message: expect.stringContaining('after') },
      });
      expect(await sendAndWait({ type: 'subscribe', scope: 'me', after: '99999999999999' })).toMatchObject({ status: 400 });
      expect(await sendAndWait({ type: 'watch', executionId: theirId })).toMatchObject({ status: 400 });
      // Still open and working after the errors.
      ws.send({ type: 'subscribe', scope: 'me' });
      await ws.until((messages) => messages.some((m) => m.type === 'subscribed'));
    });

    it('closes a socket that sends a message over 64 KB (1009) and one that floods it with requests (1008)', async () => {
      const big = track(await openWs(`${stack.url}/v1/ws`, auth()));
      const bigClosed = new Promise<number>((resolve) => big.socket.once('close', (code) => resolve(code)));
      big.send({ type: 'subscribe', scope: 'me', padding: 'x'.repeat(70_000) });
      expect(await bigClosed).toBe(1009);

      const flood = track(await openWs(`${stack.url}/v1/ws`, auth()));
      const floodClosed = new Promise<number>((resolve) => flood.socket.once('close', (code) => resolve(code)));
      for (let i = 0; i < 300; i++) flood.send({ type: 'subscribe', scope: 'me' });
      expect(await floodClosed).toBe(1008);
    });

    it('refuses the upgrade without a token (401) or without execution:read (403)', async () => {
      await expect(openWs(`${stack.url}/v1/ws`, {})).rejects.toMatchObject({ status: 401 });
      const readless = (await stack.tokenFor('owner', { permissions: ['execution:create'] })).token;
      await expect(openWs(`${stack.url}/v1/ws`, { authorization: `Bearer ${readless}` })).rejects.toMatchObject({ status: 403 });
    });
  });
});
