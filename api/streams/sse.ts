import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { FeedEvent, FeedFilter } from '../../db/feed-events.ts';
import type { AppDeps } from '../app.ts';
import { streamLimits } from './stream-limits.ts';
import { openSubscription } from './subscription.ts';

/**
 * Answers with a Server-Sent Events stream of a filter's events after `after`: each event's `id:` is
 * its cursor (an EventSource resumes with it as Last-Event-ID), a comment every keep-alive period
 * holds idle connections open. It ends when the client goes; a client too slow to take live events
 * is disconnected rather than buffered for without limit.
 */
export function serveEventStream(
  c: Context,
  deps: AppDeps,
  filter: FeedFilter,
  after: number,
  format: (event: FeedEvent) => unknown,
  /** Checked after each event sent and at each keep-alive: false ends the stream (the caller may no longer see what it streams). */
  keepGoing?: (event?: FeedEvent) => Promise<boolean>,
) {
  const { keepAliveMs, maxQueued } = streamLimits(deps);
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    const subscription = openSubscription({
      db: deps.db,
      feed: deps.feed,
      filter,
      after,
      maxQueued,
      send: async (event) => {
        await stream.writeSSE({ id: event.cursor, data: JSON.stringify(format(event)) });
        if (keepGoing && !(await keepGoing(event))) subscription.close();
      },
    });
    // Abort listeners added after the abort never run: a client gone before now is checked by hand.
    stream.onAbort(() => subscription.close());
    if (stream.aborted) subscription.close();
    await stream.write(': connected\n\n');
    const keepAlive = setInterval(() => {
      void stream.write(': keep-alive\n\n');
      void keepGoing?.().then(
        (ok) => ok || subscription.close(),
        () => undefined,
      );
    }, keepAliveMs);
    const reason = await subscription.ended;
    clearInterval(keepAlive);
    // Closing the stream would wait for the stuck client to read what is buffered; drop it instead.
    if (reason === 'overflow') (c.env as HttpBindings | undefined)?.outgoing?.destroy();
  });
}
