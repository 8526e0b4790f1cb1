import { randomUUID } from 'node:crypto';
import { setImmediate as nextTick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventFeed } from '../../api/streams/event-feed.ts';
import { openSubscription } from '../../api/streams/subscription.ts';
import type { DatabaseHandle } from '../../db/client.ts';
import type { FeedEvent } from '../../db/feed-events.ts';
import { openFreshDatabase } from '../helpers/databases.ts';

/** A feed whose events the test hands over itself, at the moments it chooses. */
function handFeed() {
  const listeners = new Set<(event: FeedEvent) => void>();
  const feed = {
    subscribe: (listener: (event: FeedEvent) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    feed: feed as unknown as EventFeed,
    emit: (event: FeedEvent) => {
      for (const listener of listeners) listener(event);
    },
  };
}

const event = (cursor: number): FeedEvent => ({
  cursor: String(cursor),
  eventId: randomUUID(),
  type: 'test.tick',
  version: 1,
  executionId: randomUUID(),
  runId: null,
  runNumber: null,
  turnNumber: null,
  attempt: null,
  actor: null,
  occurredAt: new Date().toISOString(),
  payload: {},
  ownerId: 'o',
  background: false,
});

/** Lets `depth` microtasks run. */
async function microtasks(depth: number) {
  for (let i = 0; i < depth; i++) await Promise.resolve();
}

describe('a subscription', () => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ handle, dispose } = await openFreshDatabase('pglite'));
  });
  afterAll(() => dispose?.());

  // A live event may arrive at any point while the previous one is being sent, including the moment
  // the sender has found its queue empty but not yet settled: it must still go out, without waiting
  // for a later event.
  it('delivers a live event that arrives at any moment of the previous delivery', async () => {
    for (let depth = 0; depth < 12; depth++) {
      const { feed, emit } = handFeed();
      const sent: string[] = [];
      const subscription = openSubscription({
        db: handle.db,
        feed,
        filter: { all: true },
        after: 0,
        maxQueued: 10,
        send: async (e) => {
          await Promise.resolve();
          sent.push(e.cursor);
        },
      });
      await nextTick(); // catch-up (nothing stored) is over: the subscription is live
      await nextTick();
      emit(event(1));
      await microtasks(depth);
      emit(event(2));
      await nextTick();
      expect(sent, `second event emitted after ${depth} microtasks`).toEqual(['1', '2']);
      subscription.close();
    }
  });

  it('drops an event it already delivered, and ends with overflow when a live client falls too far behind', async () => {
    const { feed, emit } = handFeed();
    const subscription = openSubscription({ db: handle.db, feed, filter: { all: true }, after: 0, maxQueued: 3, send: () => new Promise(() => {}) });
    await nextTick();
    await nextTick();
    for (const cursor of [1, 1, 2, 3, 4]) emit(event(cursor));
    let ended: string | undefined;
    void subscription.ended.then((reason) => (ended = reason));
    await nextTick();
    expect(ended).toBeUndefined(); // 1 is being sent, 2-4 wait: three, the limit
    emit(event(5));
    expect(await subscription.ended).toBe('overflow');
  });
});
