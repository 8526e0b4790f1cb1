import { upgradeWebSocket } from '@hono/node-server';
import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { openWsSession } from '../streams/ws-session.ts';

/** `GET /v1/ws`: the WebSocket form of the streams (see api/streams/ws-session.ts for the messages). */
export function wsRoutes(deps: AppDeps) {
  return new Hono<AuthEnv>().get(
    '/',
    requirePermission('execution:read'),
    upgradeWebSocket((c) => {
      let session: ReturnType<typeof openWsSession> | undefined;
      return {
        onOpen: (_event, ws) => {
          session = openWsSession(deps, c.var.caller, c.var.token, ws);
        },
        onMessage: (event) => session?.onMessage(event.data),
        onClose: () => session?.onClose(),
      };
    }),
  );
}
