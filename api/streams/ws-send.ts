import type { WSContext } from 'hono/ws';
import type { WebSocket } from 'ws';

/**
 * Sends JSON messages on a WebSocket; once more than `maxBufferedBytes` wait unsent (the client
 * stopped reading), drops the connection and throws instead of buffering without limit.
 */
export function boundedSender(ws: WSContext, maxBufferedBytes: number) {
  return (message: unknown) => {
    const socket = ws.raw as WebSocket;
    if (socket.bufferedAmount > maxBufferedBytes) {
      socket.terminate();
      throw new Error('client too slow: disconnected');
    }
    ws.send(JSON.stringify(message));
  };
}
