import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import {
  queuePositionSignal,
  releaseSlotSignal,
  requesterClosedSignal,
  requestSlotSignal,
  type SlotRequest,
  type SlotsState,
  slotGrantedSignal,
  slotsStateQuery,
} from './definitions.ts';
import { type Fields, setInternalSignalHandler } from './payload-checks.ts';

// Bounded: when it fails, the maintenance workflow records the closed requester later, so the
// project's queue never stops on it.
const { recordClosedExecution } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});

/** A project with nobody holding or waiting closes its slots workflow; the next request starts it again. */
const IDLE_CLOSE_AFTER = '10 minutes';

/**
 * One per project (`project-slots-<projectId>`): hands the project's single slot to one execution at
 * a time, in the order the requests arrived, and tells each waiter its 1-based queue position.
 * It does nothing while the holder works or waits (no timers, no polling): a holder that closes
 * without releasing (terminated by an operator) is reported by the maintenance workflow's scan.
 */
export async function projectSlotsWorkflow(input: { projectId: string; carried?: SlotsState }): Promise<void> {
  const state: SlotsState = input.carried ?? { holder: null, queue: [] };
  /** The position each waiter was last told, so only changes are signalled. */
  const told = new Map<string, number>();

  setHandler(slotsStateQuery, () => state);
  const request: Fields = { requesterId: 'string', requesterRunId: 'string', requestId: 'string', requestedAt: 'string' };
  setInternalSignalHandler(requestSlotSignal, request, (request) => {
    const known = state.holder?.requestId === request.requestId || state.queue.some((r) => r.requestId === request.requestId);
    if (known) return;
    // Requests from different executions can arrive out of order; the queue follows creation time.
    const after = state.queue.findIndex((queued) => queued.requestedAt > request.requestedAt);
    state.queue.splice(after === -1 ? state.queue.length : after, 0, request);
  });
  setInternalSignalHandler(releaseSlotSignal, { requestId: 'string' }, ({ requestId }) => {
    if (state.holder?.requestId === requestId) state.holder = null;
    else state.queue = state.queue.filter((r) => r.requestId !== requestId);
  });
  setInternalSignalHandler(requesterClosedSignal, { requesterId: 'string', requesterRunId: 'string' }, ({ requesterId, requesterRunId }) => {
    const closed = (r: SlotRequest) => r.requesterId === requesterId && r.requesterRunId === requesterRunId;
    if (state.holder && closed(state.holder)) state.holder = null;
    state.queue = state.queue.filter((r) => !closed(r));
  });
  const positionsStale = () => state.queue.some((r, i) => told.get(r.requestId) !== i + 1);

  for (;;) {
    while (!state.holder && state.queue.length > 0) {
      const next = state.queue.shift()!;
      told.delete(next.requestId);
      // A requester that has closed meanwhile cannot take the slot: the next one gets it.
      if (await delivered(getExternalWorkflowHandle(next.requesterId).signal(slotGrantedSignal, { requestId: next.requestId }))) {
        state.holder = next;
      } else {
        await recordClosedExecution(next.requesterId, next.requesterRunId).catch(() => undefined);
      }
    }
    for (const [i, request] of state.queue.entries()) {
      if (told.get(request.requestId) === i + 1) continue;
      told.set(request.requestId, i + 1);
      await delivered(getExternalWorkflowHandle(request.requesterId).signal(queuePositionSignal, { requestId: request.requestId, position: i + 1 }));
    }

    if (state.holder) {
      const holder = state.holder;
      await condition(() => state.holder !== holder || positionsStale());
    } else if (!(await condition(() => state.queue.length > 0, IDLE_CLOSE_AFTER))) {
      break;
    }

    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof projectSlotsWorkflow>({ projectId: input.projectId, carried: state });
    }
  }
  await condition(allHandlersFinished);
}

/** Whether a signal reached its workflow; false when that workflow has closed. */
async function delivered(signal: Promise<void>): Promise<boolean> {
  try {
    await signal;
    return true;
  } catch {
    return false;
  }
}
