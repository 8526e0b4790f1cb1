import type { Database } from '../../db/client.ts';
import { type FeedEvent, type FeedFilter, matchesFeed, readFeedEvents } from '../../db/feed-events.ts';
import type { EventFeed } from './event-feed.ts';

const CATCH_UP_PAGE = 500;

export interface SubscriptionOptions {
  db: Database;
  feed: EventFeed;
  filter: FeedFilter;
  /** Deliver events after this cursor (exclusive). */
  after: number;
  /** Delivers one event; the next waits for it to resolve. */
  send: (event: FeedEvent) => Promise<void> | void;
  /** Events waiting for a slow client beyond this end the subscription with `overflow`. */
  maxQueued: number;
}

export interface Subscription {
  /** Resolves when the subscription ends: `closed` by the caller, `overflow`, or `failed` (send or read threw). */
  readonly ended: Promise<'closed' | 'overflow' | 'failed'>;
  close(): void;
}

/**
 * Delivers a filter's events in cursor order, each once: first the stored ones after `after`
 * (catch-up, page by page), then live ones from the feed. It listens to the feed before reading,
 * so an event committed during catch-up is either read or heard, and the cursor drops duplicates.
 */
export function openSubscription(options: SubscriptionOptions): Subscription {
  const { db, feed, filter, send, maxQueued } = options;
  let lastQueued = options.after;
  let live = false;
  const heard: FeedEvent[] = [];
  const queue: FeedEvent[] = [];
  let pumping: Promise<void> | undefined;
  let end!: (reason: 'closed' | 'overflow' | 'failed') => void;
  const ended = new Promise<'closed' | 'overflow' | 'failed'>((resolve) => (end = resolve));
  let done = false;

  const finish = (reason: 'closed' | 'overflow' | 'failed') => {
    if (done) return;
    done = true;
    unsubscribe();
    queue.length = 0;
    end(reason);
  };

  const enqueue = (event: FeedEvent) => {
    if (done || Number(event.cursor) <= lastQueued) return;
    lastQueued = Number(event.cursor);
    queue.push(event);
    // A catch-up page is bounded by its size; live events are bounded by maxQueued.
    if (live && queue.length > maxQueued) return finish('overflow');
    kick();
  };

  const kick = () => {
    if (pumping || done) return;
    // An event queued after the pump's last look but before it settled is picked up here.
    pumping = pump().finally(() => {
      pumping = undefined;
      if (queue.length) kick();
    });
  };

  const pump = async () => {
    try {
      while (queue.length && !done) await send(queue.shift()!);
    } catch {
      finish('failed');
    }
  };

  const unsubscribe = feed.subscribe((event) => {
    if (done || !matchesFeed(filter, event)) return;
    if (live) return enqueue(event);
    heard.push(event);
    if (heard.length > maxQueued + CATCH_UP_PAGE) finish('overflow');
  });

  (async () => {
    for (;;) {
      const page = await readFeedEvents(db, filter, lastQueued, CATCH_UP_PAGE);
      for (const event of page) enqueue(event);
      // What was heard meanwhile and is now read need not wait (nor count against the limit).
      while (heard.length && Number(heard[0]!.cursor) <= lastQueued) heard.shift();
      // Read the next page only once this one is delivered: catch-up never outruns the client.
      while (pumping) await pumping;
      if (done || page.length < CATCH_UP_PAGE) break;
    }
    for (const event of heard.splice(0)) enqueue(event);
    live = true;
  })().catch(() => finish('failed'));

  return { ended, close: () => finish('closed') };
}
