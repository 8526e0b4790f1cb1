import { upgradeWebSocket } from '@hono/node-server';
import { Hono } from 'hono';
import type { WSContext } from 'hono/ws';
import type { WebSocket } from 'ws';
import { listBackgroundExecutions } from '../../db/background-agents.ts';
import { latestCursor } from '../../db/events.ts';
import { findExecution } from '../../db/executions.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission, requireToken } from '../auth.ts';
import { backgroundAgentView, splitActive } from '../background-agent-view.ts';
import { streamLimits } from '../streams/stream-limits.ts';
import { openSubscription, type Subscription } from '../streams/subscription.ts';
import { wsSender } from '../streams/ws-send.ts';

const SNAPSHOT_LIMIT = 50;

/**
 * `/background-agent-ws`: the panel's live feed. On connect, `{"type":"snapshot", active, history}`;
 * then `{"type":"update", agent}` with the whole item each time one of the caller's background
 * agents changes status (it starts, queues, runs, waits, ends).
 */
export function backgroundAgentWsRoutes(deps: AppDeps) {
  return new Hono<AuthEnv>().use('*', requireToken(deps.db)).get(
    '/',
    requirePermission('execution:read'),
    upgradeWebSocket((c) => {
      const ownerId = c.var.caller.id;
      let subscription: Subscription | undefined;
      let closed = false;
      return {
        onOpen: (_event, ws) =>
          void follow(deps, ownerId, ws, () => closed)
            .then((opened) => {
              subscription = opened;
              if (closed) opened?.close(); // the client left while it was opening
            })
            .catch((err) => {
              console.error('[api] background-agent-ws failed:', err);
              ws.close(1011, 'internal error');
            }),
        onClose: () => {
          closed = true;
          subscription?.close();
        },
      };
    }),
  );
}

/** Sends the snapshot, then follows the owner's background executions (unless the socket closed meanwhile). */
async function follow(deps: AppDeps, ownerId: string, ws: WSContext, isClosed: () => boolean): Promise<Subscription | undefined> {
  const { db } = deps;
  const { maxQueued, maxBufferedBytes } = streamLimits(deps);
  const { send, sendPaced } = wsSender(ws, maxBufferedBytes);
  // Updates from here on; one that the snapshot already shows is sent again, harmlessly.
  const after = await latestCursor(db);
  const found = await listBackgroundExecutions(db, ownerId, SNAPSHOT_LIMIT);
  send({ type: 'snapshot', ...splitActive(found.map(({ execution, runs }) => backgroundAgentView(execution, runs))) });
  if (isClosed()) return undefined;
  const subscription = openSubscription({
    db,
    feed: deps.feed,
    filter: { ownerId, statusChanges: true, backgroundOnly: true },
    after,
    maxQueued,
    send: async (event) => {
      const current = await findExecution(db, event.executionId);
      if (current) await sendPaced({ type: 'update', agent: backgroundAgentView(current.execution, current.runs) });
    },
  });
  // Updates stopped for a reason other than the client leaving: close, so the panel reconnects.
  void subscription.ended.then((reason) => {
    if (reason === 'overflow') (ws.raw as WebSocket).terminate();
    else if (reason === 'failed') ws.close(1011, 'updates stopped');
  });
  return subscription;
}
