// The console's live connection: one WebSocket (/v1/ws) carrying every subscription of the page.
// After a dropped connection it reconnects (1 s, then longer, up to 15 s) and subscribes again after
// the last cursor each subscription has seen, so nothing is missed and nothing arrives twice.
import { token } from './api.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

interface Subscription {
  key: string;
  message: { executionId?: string; scope?: 'me' };
  after?: string;
  onMessage: (message: any) => void;
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

function connect() {
  const bearer = token.get();
  if (!bearer || socket) return;
  const url = new URL('/v1/ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('access_token', bearer);
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    retries = 0;
    setState('live');
    for (const subscription of subscriptions.values()) send(subscription);
  };
  ws.onmessage = (message) => {
    const data = JSON.parse(message.data as string);
    const key = data.executionId !== undefined && data.type !== 'status' ? `execution:${data.executionId}` : data.scope === 'me' ? 'me' : undefined;
    const subscription = key === undefined ? undefined : subscriptions.get(key);
    if (!subscription) return;
    const cursor = data.event?.cursor ?? data.change?.cursor;
    if (cursor !== undefined) subscription.after = cursor;
    subscription.onMessage(data);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = undefined;
    if (subscriptions.size === 0 || !token.get()) return;
    setState('reconnecting');
    retryTimer = setTimeout(connect, Math.min(1000 * 2 ** retries++, 15_000));
  };
}

function send(subscription: Subscription) {
  if (socket?.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: 'subscribe', ...subscription.message, ...(subscription.after !== undefined && { after: subscription.after }) }));
}

/**
 * Subscribes to an execution's events (from its first, or after `after`) or to the status changes of
 * the caller's executions (`scope: 'me'`, from now); returns the unsubscribe.
 */
export function subscribe(message: { executionId: string; after?: string } | { scope: 'me' }, onMessage: (message: any) => void): () => void {
  const key = 'executionId' in message ? `execution:${message.executionId}` : 'me';
  const after = 'executionId' in message ? (message.after ?? '0') : undefined;
  const subscription: Subscription = {
    key,
    message: 'executionId' in message ? { executionId: message.executionId } : { scope: 'me' },
    after,
    onMessage,
  };
  subscriptions.set(key, subscription);
  if (socket) send(subscription);
  else connect();
  return () => {
    if (subscriptions.get(key) !== subscription) return;
    subscriptions.delete(key);
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'unsubscribe', ...subscription.message }));
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
