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
import { queuePositionSignal, releaseSlotSignal, requestSlotSignal, type SlotsState, slotGrantedSignal, slotsStateQuery } from './definitions.ts';

// Bounded: when they fail, the holder is simply checked again later (and the maintenance workflow
// records closed executions too), so the project's queue never stops on them.
const { isWorkflowOpen, recordClosedExecution } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});

/** How often the holder is checked for having closed without releasing (terminated by an operator, say). */
const HOLDER_CHECK_INTERVAL = '20 seconds';
/** A project with nobody holding or waiting closes its slots workflow; the next request starts it again. */
const IDLE_CLOSE_AFTER = '10 minutes';

/**
 * One per project (`project-slots-<projectId>`): hands the project's single slot to one execution at
 * a time, in the order the requests arrived, and tells each waiter its 1-based queue position.
 */
export async function projectSlotsWorkflow(input: { projectId: string; carried?: SlotsState }): Promise<void> {
  const state: SlotsState = input.carried ?? { holder: null, queue: [] };
  /** The position each waiter was last told, so only changes are signalled. */
  const told = new Map<string, number>();

  setHandler(slotsStateQuery, () => state);
  setHandler(requestSlotSignal, (request) => {
    const known = state.holder?.requestId === request.requestId || state.queue.some((r) => r.requestId === request.requestId);
    if (known) return;
    // Requests from different executions can arrive out of order; the queue follows creation time.
    const after = state.queue.findIndex((queued) => queued.requestedAt > request.requestedAt);
    state.queue.splice(after === -1 ? state.queue.length : after, 0, request);
  });
  setHandler(releaseSlotSignal, ({ requestId }) => {
    if (state.holder?.requestId === requestId) state.holder = null;
    else state.queue = state.queue.filter((r) => r.requestId !== requestId);
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
      const changed = await condition(() => state.holder !== holder || positionsStale(), HOLDER_CHECK_INTERVAL);
      if (!changed && !(await isWorkflowOpen(holder.requesterId, holder.requesterRunId).catch(() => true))) {
        await recordClosedExecution(holder.requesterId, holder.requesterRunId).catch(() => undefined);
        state.holder = null;
      }
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
