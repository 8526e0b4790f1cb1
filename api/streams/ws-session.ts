import type { WSContext } from 'hono/ws';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { FeedEvent, FeedFilter } from '../../db/feed-events.ts';
import type { Caller } from '../../db/tokens.ts';
import type { AppDeps } from '../app.ts';
import { ApiError } from '../errors.ts';
import { accessKept, loadVisibleExecution } from '../execution-access.ts';
import { parseJson, validate } from '../validation.ts';
import { resumeCursor } from './resume-cursor.ts';
import { streamLimits } from './stream-limits.ts';
import { publicEvent, statusChange } from './stream-messages.ts';
import { openSubscription, type Subscription } from './subscription.ts';
import { wsSender } from './ws-send.ts';

/** Limits per connection: what one client may ask of a process. */
const MAX_SUBSCRIPTIONS = 100;
const MAX_MESSAGES_IN_FLIGHT = 100;

const target = {
  executionId: z.string().min(1).max(100).optional(),
  scope: z.literal('me').optional(),
};
const clientMessage = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('subscribe'), ...target, after: z.union([z.string(), z.number().int().min(0)]).optional() }),
    z.strictObject({ type: z.literal('unsubscribe'), ...target }),
  ])
  .refine((m) => (m.executionId === undefined) !== (m.scope === undefined), 'give exactly one of executionId and scope');

type ClientMessage = z.infer<typeof clientMessage>;

/**
 * One `/v1/ws` connection: the client subscribes to executions (their audit events) and to
 * `{"scope":"me"}` (its executions' status changes), each resuming after its own `after`, with the
 * same checks and errors as the REST routes (sent as `{"type":"error"}` messages). A client that
 * stops reading is disconnected once too much is waiting to be sent.
 */
export function openWsSession(deps: AppDeps, caller: Caller, token: string, ws: WSContext) {
  const { maxQueued, maxBufferedBytes, keepAliveMs } = streamLimits(deps);
  const subscriptions = new Map<string, Subscription>();
  /** Per execution subscription: whether the token may still see it, checked now and then as well. */
  const checks = new Map<string, { check: (event?: FeedEvent) => Promise<boolean>; revoke: () => void }>();
  const recheck = setInterval(() => {
    for (const { check, revoke } of checks.values())
      void check().then(
        (ok) => ok || revoke(),
        () => undefined,
      );
  }, keepAliveMs);
  let work = Promise.resolve();

  const { send, sendPaced } = wsSender(ws, maxBufferedBytes);
  let closed = false;
  let inFlight = 0;

  const subscribe = async (message: ClientMessage & { type: 'subscribe' }, key: string) => {
    let filter: FeedFilter;
    let format: (event: FeedEvent) => unknown;
    let after: number;
    let kept: ((event?: FeedEvent) => Promise<boolean>) | undefined;
    const given = message.after === undefined ? undefined : String(message.after);
    if (message.executionId !== undefined) {
      const { execution } = await loadVisibleExecution(deps.db, message.executionId, caller);
      kept = accessKept(deps.db, execution.id, token);
      after = await resumeCursor(deps.db, given, 'start');
      filter = { executionId: execution.id };
      format = (event) => ({ type: 'event', executionId: execution.id, event: publicEvent(event) });
    } else {
      after = await resumeCursor(deps.db, given, 'now');
      filter = { ownerId: caller.id, statusChanges: true };
      format = (event) => ({ type: 'status', scope: 'me', change: statusChange(event) });
    }
    if (closed) return; // the client left while this was being checked
    subscriptions.get(key)?.close();
    if (!subscriptions.has(key) && subscriptions.size >= MAX_SUBSCRIPTIONS) {
      throw new ApiError(429, 'too_many_subscriptions', `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
    }
    send({ type: 'subscribed', ...subject(message), after: String(after) });
    const subscription = openSubscription({
      db: deps.db,
      feed: deps.feed,
      filter,
      after,
      maxQueued,
      send: async (event) => {
        await sendPaced(format(event));
        if (kept && !(await kept(event))) revoke();
      },
    });
    // The caller may no longer see the execution: its subscription ends, as a subscribe now would be refused.
    let revoked = false;
    const revoke = () => {
      if (revoked || subscriptions.get(key) !== subscription) return;
      revoked = true;
      subscription.close();
      tell({
        type: 'error',
        status: 404,
        error: { code: 'not_found', message: `no execution ${message.executionId}` },
        request: { type: 'subscribe', ...subject(message) },
      });
    };
    subscriptions.set(key, subscription);
    if (kept) checks.set(key, { check: kept, revoke });
    void subscription.ended.then((reason) => {
      if (subscriptions.get(key) === subscription) {
        subscriptions.delete(key);
        checks.delete(key);
      }
      if (reason === 'closed' || closed) return;
      // The client must know its subscription ended: it resubscribes with its last cursor.
      // A client that stopped reading would never take a close frame: drop the connection.
      if (reason === 'overflow') (ws.raw as WebSocket).terminate();
      else
        tell({
          type: 'error',
          status: 500,
          error: { code: 'subscription_failed', message: 'the subscription ended; subscribe again after your last cursor' },
          request: { type: 'subscribe', ...subject(message) },
        });
    });
  };

  /** Sends unless the client is gone or too slow, when there is nobody left to tell. */
  const tell = (reply: unknown) => {
    try {
      send(reply);
    } catch {
      // gone
    }
  };

  const handle = async (raw: unknown) => {
    if (closed) return;
    let message: ClientMessage | undefined;
    try {
      message = validate(clientMessage, parseJson(String(raw), 'messages'));
      const key = message.executionId !== undefined ? `execution:${message.executionId}` : 'me';
      if (message.type === 'subscribe') return await subscribe(message, key);
      subscriptions.get(key)?.close();
      subscriptions.delete(key);
      checks.delete(key);
      send({ type: 'unsubscribed', ...subject(message) });
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError(500, 'internal', 'internal error');
      if (!(err instanceof ApiError)) console.error('[api] websocket message failed:', err);
      tell({
        type: 'error',
        status: error.status,
        error: { code: error.code, message: error.message },
        ...(message && { request: { type: message.type, ...subject(message) } }),
      });
    }
  };

  return {
    /** Handles messages one at a time, in the order they came. */
    onMessage(data: unknown) {
      if (++inFlight > MAX_MESSAGES_IN_FLIGHT) return ws.close(1008, 'too many messages at once');
      work = work.then(() => handle(data)).finally(() => inFlight--);
    },
    onClose() {
      closed = true;
      clearInterval(recheck);
      for (const subscription of subscriptions.values()) subscription.close();
      subscriptions.clear();
    },
  };
}

const subject = (message: ClientMessage) => (message.executionId !== undefined ? { executionId: message.executionId } : { scope: 'me' as const });
