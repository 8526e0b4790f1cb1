/** How often an idle stream sends a keep-alive. */
export const KEEP_ALIVE_MS = 15_000;
/** Live events a client may leave unread before it is disconnected. */
export const MAX_QUEUED_EVENTS = 1000;
/** Bytes a WebSocket may leave unsent before it is disconnected. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface StreamLimits {
  keepAliveMs: number;
  maxQueued: number;
  maxBufferedBytes: number;
}

/** The app's stream limits: the defaults above unless the app was built with others (tests do). */
export function streamLimits(deps: { streamLimits?: Partial<StreamLimits> }): StreamLimits {
  return { keepAliveMs: KEEP_ALIVE_MS, maxQueued: MAX_QUEUED_EVENTS, maxBufferedBytes: MAX_BUFFERED_BYTES, ...deps.streamLimits };
}
