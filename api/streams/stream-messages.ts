import type { StoredEvent } from '../../common/events.ts';
import { statusAfter } from '../../common/status-events.ts';
import type { FeedEvent } from '../../db/feed-events.ts';

/** An event as execution streams send it: the stored event, as `GET /v1/executions/:id/events` shows it. */
export function publicEvent(event: FeedEvent): StoredEvent {
  const { ownerId: _owner, background: _background, ...stored } = event;
  return stored;
}

/** What a status stream sends for an event: the execution's status after it (for a sidebar or badge). */
export function statusChange(event: FeedEvent) {
  return {
    cursor: event.cursor,
    type: event.type,
    executionId: event.executionId,
    runId: event.runId,
    runNumber: event.runNumber,
    status: statusAfter(event.type) ?? null,
    ...(event.type === 'execution.archived' && { archived: true }),
    ...(event.type === 'execution.unarchived' && { archived: false }),
    // Handed off: the execution leaves the sidebar of `from` and joins that of `to`.
    ...(event.type === 'execution.handed_off' && { handedOff: { from: event.payload?.from, to: event.payload?.to } }),
    background: event.background,
    occurredAt: event.occurredAt,
  };
}
