import type { Database, ListenFn } from '../../db/client.ts';
import { EVENTS_CHANNEL, latestCursor } from '../../db/events.ts';
import { type FeedEvent, readFeedEvents } from '../../db/feed-events.ts';

const PAGE = 1000;
/** A safety net: read anyway this often, in case a notification was lost. */
const POLL_MS = 5000;

/**
 * One per API process: listens for the NOTIFY that announces each committed event, reads the new
 * rows once (cursor order, which is commit order) and hands each to every listener. Any process
 * can so stream any execution, whichever process or worker wrote its events.
 */
export class EventFeed {
  private readonly listeners = new Set<(event: FeedEvent) => void>();
  private lastCursor = 0;
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private unlisten: (() => Promise<void>) | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;

  private readonly db: Database;

  private constructor(db: Database) {
    this.db = db;
  }

  static async start(db: Database, listen: ListenFn): Promise<EventFeed> {
    const feed = new EventFeed(db);
    feed.lastCursor = await latestCursor(db);
    feed.unlisten = await listen(
      EVENTS_CHANNEL,
      (payload) => {
        if (Number(payload) > feed.lastCursor) feed.wake();
      },
      () => feed.wake(),
    );
    feed.poll = setInterval(() => feed.wake(), POLL_MS).unref();
    return feed;
  }

  /** Calls `listener` with every event committed from now on, until the returned function is called. */
  subscribe(listener: (event: FeedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many listeners are attached (for tests and the benchmark). */
  get size(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    this.listeners.clear();
    await this.unlisten?.().catch(() => {});
    await this.reading;
  }

  /** Reads what is new; a wake-up during a read makes it read once more afterwards. */
  private wake(): void {
    if (this.closed) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readNew()
      .catch((err) => console.error('[api] event feed: could not read new events (will retry):', err))
      .finally(() => {
        this.reading = undefined;
        if (this.readAgain) {
          this.readAgain = false;
          this.wake();
        }
      });
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const page = await readFeedEvents(this.db, { all: true }, this.lastCursor, PAGE);
      for (const event of page) {
        this.lastCursor = Number(event.cursor);
        for (const listener of this.listeners) listener(event);
      }
      if (page.length < PAGE || this.closed) return;
    }
  }
}
