import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import type { DatabaseHandle } from '../db/client.ts';
import { type AppDeps, createApp } from './app.ts';
import { EventFeed } from './streams/event-feed.ts';

export interface ApiServer {
  url: string;
  /** The process's event feed (tests count its listeners). */
  feed: EventFeed;
  close(): Promise<void>;
}

export type ApiServerDeps = Omit<AppDeps, 'db' | 'feed'> & { database: DatabaseHandle };

/**
 * Serves the API on host:port (port 0 picks a free one) and resolves once it is listening. It
 * listens for new events first, so its streams can follow any execution.
 */
export async function startApiServer({ database, ...deps }: ApiServerDeps, options: { host: string; port: number }): Promise<ApiServer> {
  const feed = await EventFeed.start(database.db, database.listen);
  const app = createApp({ ...deps, db: database.db, feed });
  // Client messages are small JSON requests: a larger frame is refused (close 1009).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port, websocket: { server: wss } }, (info: AddressInfo) => {
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${info.port}`,
        feed,
        close: async () => {
          await feed.close();
          for (const client of wss.clients) client.terminate();
          await new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive connections and open streams would hold close() open; a stopping server drops them.
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          });
        },
      });
    });
    server.once('error', reject);
  });
}
