import { condition, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { queuePositionSignal, type SlotRequest, slotGrantedSignal } from './definitions.ts';
import { setInternalSignalHandler } from './payload-checks.ts';
import { type WorkflowEvent, withIds } from './record-event.ts';

// Postgres answers these (db/project-slots.ts); they outlast a database outage of up to a day.
const { requestProjectSlot, releaseProjectSlot } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * The execution's side of its project's slot (db/project-slots.ts holds who has it and who waits).
 * One request at a time. Uncontended, the request itself grants it; otherwise the activity that frees
 * it signals the next in line. A grant that arrives for an abandoned request (stopped while queued) is
 * handed straight back.
 */
export function projectSlot(projectId: string, onQueued: (position: number) => Promise<void>) {
  let wanted: string | null = null;
  let granted = false;
  let position: number | null = null;
  let request: SlotRequest | undefined;

  const queued = async (at: number) => {
    if (granted || at === position) return;
    position = at;
    await onQueued(at);
  };
  setInternalSignalHandler(slotGrantedSignal, { requestId: 'string' }, async ({ requestId }) => {
    if (requestId === wanted) granted = true;
    else await releaseProjectSlot({ projectId, requestId });
  });
  setInternalSignalHandler(queuePositionSignal, { requestId: 'string', position: 'number' }, async ({ requestId, position: at }) => {
    if (requestId === wanted) await queued(at);
  });
  const claim = async (events: WorkflowEvent[] = []) => {
    const answer = await requestProjectSlot({ projectId, request: request!, events: events.map(withIds) });
    if (answer.granted) granted = true;
    else await queued(answer.position);
  };

  return {
    /**
     * Asks for the slot, recording `events` first in the same activity. `requestedAt` orders the queue.
     * The execution calls it outside a stop's reach: what it records and asks for is recorded and asked
     * for, and a stop then releases it.
     */
    async request(requestedAt: string, events: WorkflowEvent[]): Promise<void> {
      wanted = uuid4();
      granted = false;
      position = null;
      const { workflowId: requesterId, runId: requesterRunId } = workflowInfo();
      request = { requesterId, requesterRunId, requestId: wanted, requestedAt };
      await claim(events);
    },
    /** Resolves once the slot asked for is ours; cancellable (a stop while queued). */
    async acquire(): Promise<void> {
      // Asked again now and then while queued: a grant whose signal was lost (its activity retried
      // after the hand-over) is found this way. The same request is not queued twice.
      if (granted) return; // uncontended: no timer at all
      while (!(await condition(() => granted, '1 minute'))) await claim();
    },
    /** Gives the slot back, or leaves the queue if it was not granted yet. */
    async release(): Promise<void> {
      if (!wanted) return;
      const requestId = wanted;
      wanted = null;
      granted = false;
      try {
        await releaseProjectSlot({ projectId, requestId });
      } catch {
        // Postgres refused for a day: the slot stays held until this execution's next request frees it.
      }
    },
  };
}
