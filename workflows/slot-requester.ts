import { condition, getExternalWorkflowHandle, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { projectSlotsWorkflowId, queuePositionSignal, releaseSlotSignal, type SlotRequest, slotGrantedSignal } from './definitions.ts';
import { setInternalSignalHandler } from './payload-checks.ts';
import { type WorkflowEvent, withIds } from './record-event.ts';

// Temporal itself answers this one: it outlasts a Temporal outage of up to a day.
const { requestProjectSlot } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * The execution's side of its project's slot (see project-slots.ts). One request at a time; a grant
 * that arrives for an abandoned request (stopped while queued) is handed straight back.
 */
export function projectSlot(projectId: string, onQueued: (position: number) => Promise<void>) {
  let wanted: string | null = null;
  let granted = false;
  const slots = () => getExternalWorkflowHandle(projectSlotsWorkflowId(projectId));
  const release = async (requestId: string) => {
    try {
      await slots().signal(releaseSlotSignal, { requestId });
    } catch {
      // The slots workflow is gone (terminated by an operator): nothing is held there.
    }
  };

  setInternalSignalHandler(slotGrantedSignal, { requestId: 'string' }, async ({ requestId }) => {
    if (requestId === wanted) granted = true;
    else await release(requestId);
  });
  setInternalSignalHandler(queuePositionSignal, { requestId: 'string', position: 'number' }, async ({ requestId, position }) => {
    if (requestId === wanted && !granted) await onQueued(position);
  });

  let request: SlotRequest | undefined;

  return {
    /**
     * Asks for the slot, recording `events` first in the same activity. `requestedAt` orders the queue.
     * The execution calls it outside a stop's reach: what it records and asks for is recorded and asked
     * for, and a stop then releases it.
     */
    async request(requestedAt: string, events: WorkflowEvent[]): Promise<void> {
      wanted = uuid4();
      granted = false;
      const { workflowId: requesterId, runId: requesterRunId } = workflowInfo();
      request = { requesterId, requesterRunId, requestId: wanted, requestedAt };
      await requestProjectSlot({ projectId, request, events: events.map(withIds) });
    },
    /** Resolves once the slot asked for is ours; cancellable (a stop while queued). */
    async acquire(): Promise<void> {
      // Asked again now and then: should the slots workflow be gone (an operator terminated it), the
      // request starts a new one; the same request id is not queued twice.
      while (!(await condition(() => granted, '1 minute'))) await requestProjectSlot({ projectId, request: request! });
    },
    /** Gives the slot back, or leaves the queue if it was not granted yet. */
    async release(): Promise<void> {
      if (!wanted) return;
      const requestId = wanted;
      wanted = null;
      granted = false;
      await release(requestId);
    },
  };
}
