import { setTimeout as sleep } from 'node:timers/promises';
import type { WSContext } from 'hono/ws';
import { WebSocket } from 'ws';

/** Below this many unsent bytes a paced sender sends its next message. */
const LOW_WATER_BYTES = 256 * 1024;

/**
 * Sends JSON messages on a WebSocket. `send` drops the connection and throws once more than
 * `maxBufferedBytes` wait unsent (the client stopped reading) instead of buffering without limit;
 * `sendPaced` then waits for the client to take most of it, so a stream's own queue (bounded) is
 * where a slow reader's backlog builds up, as with SSE.
 */
export function wsSender(ws: WSContext, maxBufferedBytes: number) {
  const socket = ws.raw as WebSocket;
  const send = (message: unknown) => {
    if (socket.readyState !== WebSocket.OPEN) throw new Error('the socket is closed');
    if (socket.bufferedAmount > maxBufferedBytes) {
      socket.terminate();
      throw new Error('client too slow: disconnected');
    }
    ws.send(JSON.stringify(message));
  };
  const sendPaced = async (message: unknown) => {
    send(message);
    while (socket.readyState === WebSocket.OPEN && socket.bufferedAmount > LOW_WATER_BYTES) await sleep(10);
  };
  return { send, sendPaced };
}
