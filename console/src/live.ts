// The console's live connection: one WebSocket (/v1/ws) carrying every subscription of the page.
// After a dropped connection it reconnects (1 s, then longer, up to 15 s) and subscribes again after
// the last cursor each subscription has seen, so nothing is missed and nothing arrives twice.
import { api, token } from './api.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

/** One subscription on the socket, shared by every listener of the same key. */
interface Subscription {
  message: { executionId?: string; scope?: 'me' };
  /** The newest cursor seen (or the server's starting point): where a resubscription resumes. */
  after?: string;
  listeners: Set<(message: any) => void>;
}

const subscriptions = new Map<string, Subscription>();
const stateListeners = new Set<(state: LiveState) => void>();
let socket: WebSocket | undefined;
let state: LiveState = 'connecting';
let retries = 0;
let retryTimer: ReturnType<typeof setTimeout> | undefined;

function setState(next: LiveState) {
  state = next;
  for (const listener of stateListeners) listener(state);
}

export function onLiveState(listener: (state: LiveState) => void): () => void {
  stateListeners.add(listener);
  listener(state);
  return () => stateListeners.delete(listener);
}

const keyOf = (target: { executionId?: string; scope?: string } | undefined) =>
  target?.executionId !== undefined ? `execution:${target.executionId.toLowerCase()}` : target?.scope === 'me' ? 'me' : undefined;

function connect() {
  const bearer = token.get();
  if (!bearer || socket) return;
  const url = new URL('/v1/ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('access_token', bearer);
  const ws = new WebSocket(url);
  socket = ws;
  let opened = false;
  ws.onopen = () => {
    opened = true;
    retries = 0;
    setState('live');
    for (const subscription of subscriptions.values()) send(subscription);
  };
  ws.onmessage = (message) => {
    const data = JSON.parse(message.data as string);
    // Events name their execution, status changes their scope, answers and errors the request they answer.
    const key = data.type === 'status' ? 'me' : keyOf(data.request ?? data);
    const subscription = key === undefined ? undefined : subscriptions.get(key);
    if (!subscription) return;
    const cursor = data.event?.cursor ?? data.change?.cursor ?? (data.type === 'subscribed' ? data.after : undefined);
    if (cursor !== undefined) subscription.after = String(cursor);
    // The server ended this subscription (it fell behind, say): resume it after the last cursor.
    if (data.type === 'error' && data.error?.code === 'subscription_failed') {
      send(subscription);
      return;
    }
    // A revoked token ends subscriptions as not found: a 401 here signs the console out.
    if (data.type === 'error' && data.error?.code === 'not_found') void api('/v1/status').catch(() => undefined);
    for (const listener of subscription.listeners) listener(data);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = undefined;
    if (subscriptions.size === 0 || !token.get()) return;
    setState('reconnecting');
    // Refused before it opened: maybe the token no longer works (a 401 here signs the console out).
    if (!opened) void api('/v1/status').catch(() => undefined);
    retryTimer = setTimeout(connect, Math.min(1000 * 2 ** retries++, 15_000));
  };
}

function send(subscription: Subscription) {
  if (socket?.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: 'subscribe', ...subscription.message, ...(subscription.after !== undefined && { after: subscription.after }) }));
}

/**
 * Listens to an execution's events (from its first) or to the status changes of the caller's
 * executions (`scope: 'me'`, from now); returns the unsubscribe. Listeners of the same target share
 * one subscription, which ends when the last of them leaves.
 */
export function subscribe(target: { executionId: string } | { scope: 'me' }, listener: (message: any) => void): () => void {
  const key = keyOf(target)!;
  let subscription = subscriptions.get(key);
  if (!subscription) {
    subscription = {
      message: 'executionId' in target ? { executionId: target.executionId.toLowerCase() } : { scope: 'me' },
      after: 'executionId' in target ? '0' : undefined,
      listeners: new Set(),
    };
    subscriptions.set(key, subscription);
    if (socket) send(subscription);
    else connect();
  }
  const shared = subscription;
  shared.listeners.add(listener);
  return () => {
    shared.listeners.delete(listener);
    if (shared.listeners.size > 0 || subscriptions.get(key) !== shared) return;
    subscriptions.delete(key);
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'unsubscribe', ...shared.message }));
  };
}

/** Closes the connection (sign-out); the next subscription opens a new one. */
export function disconnect() {
  clearTimeout(retryTimer);
  subscriptions.clear();
  const ws = socket;
  socket = undefined;
  ws?.close();
  setState('connecting');
}

/** For the browser tests: drops the connection as a network failure would. */
(globalThis as { __dropLiveConnection?: () => void }).__dropLiveConnection = () => socket?.close();
