import { CancellationScope, condition, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { queuePositionSignal, type SlotKey, type SlotRequest, slotGrantedSignal } from './definitions.ts';
import { setInternalSignalHandler } from './payload-checks.ts';
import { type WorkflowEvent, withIds } from './record-event.ts';

// Postgres answers these (db/project-slots.ts); they outlast a database outage of up to a day.
const { requestProjectSlot, releaseProjectSlot } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** A queued request asks again after a minute, then at twice the interval each time, up to 16 minutes. */
const RECLAIM_FIRST_MS = 60_000;
const RECLAIM_MAX_MS = 16 * 60_000;

/**
 * The execution's side of its project's slot (db/project-slots.ts holds who has it and who waits).
 * One request at a time. Uncontended, the request itself grants it; otherwise the activity that frees
 * it signals the next in line. A grant that arrives for an abandoned request (stopped while queued) is
 * handed straight back.
 */
export function projectSlot(project: SlotKey, onQueued: (position: number) => Promise<void>) {
  let wanted: string | null = null;
  let granted = false;
  let position: number | null = null;
  /** The stamp of the position last told: positions can arrive out of order (a claim's answer, signals). */
  let positionStamp = 0;
  let request: SlotRequest | undefined;
  /** Reports of positions, one after another, so the last recorded is the last told. */
  let reports: Promise<void> = Promise.resolve();

  const queued = (at: number, stamp: number): Promise<void> => {
    if (granted || stamp <= positionStamp) return reports;
    positionStamp = stamp;
    if (at === position) return reports;
    position = at;
    const current = wanted;
    // Not once the slot is ours (or the request given up) by the time the report before is done.
    reports = reports.then(() => (granted || wanted !== current ? undefined : onQueued(at)));
    return reports;
  };
  setInternalSignalHandler(slotGrantedSignal, { requestId: 'string' }, async ({ requestId }) => {
    if (requestId === wanted) granted = true;
    else await giveBack(requestId);
  });
  setInternalSignalHandler(
    queuePositionSignal,
    { requestId: 'string', position: 'number', stamp: 'number' },
    async ({ requestId, position: at, stamp }) => {
      if (requestId === wanted) await queued(at, stamp);
    },
  );
  const giveBack = async (requestId: string) => {
    try {
      await releaseProjectSlot({ ...project, requestId });
    } catch {
      // Postgres refused for a day: the first in line has this execution asked again later (see db/project-slots.ts).
    }
  };
  const claim = async (events: WorkflowEvent[] = []) => {
    const answer = await requestProjectSlot({ ...project, request: request!, events: events.map(withIds) });
    if (answer.granted) granted = true;
    else await queued(answer.position, answer.stamp);
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
      positionStamp = 0;
      const { workflowId: requesterId, runId: requesterRunId } = workflowInfo();
      request = { requesterId, requesterRunId, requestId: wanted, requestedAt };
      await claim(events);
    },
    /** Resolves once the slot asked for is ours; cancellable (a stop while queued). */
    async acquire(): Promise<void> {
      // Asked again now and then while queued, less often the longer it waits: a waiter beyond the first
      // told of each change learns its place this way, and a grant whose news was lost is found (a
      // retried release tells its grants again; this is the net under that). The same request is not
      // queued twice. A claim under way is not cancelled by a stop: the release that follows must come after it.
      if (granted) return; // uncontended: no timer at all
      let every = RECLAIM_FIRST_MS;
      while (!(await condition(() => granted, every))) {
        await CancellationScope.nonCancellable(() => claim());
        every = Math.min(every * 2, RECLAIM_MAX_MS);
      }
    },
    /** Gives the slot back, or leaves the queue if it was not granted yet. */
    async release(): Promise<void> {
      if (!wanted) return;
      const requestId = wanted;
      wanted = null;
      granted = false;
      await giveBack(requestId);
    },
  };
}
