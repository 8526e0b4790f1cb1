import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { NewEvent } from '../common/events.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { findExecutionRow } from '../db/executions.ts';
import { claimProjectSlot, leaveProjectSlot, type SlotClaim, type SlotHandover, type SlotRequester } from '../db/project-slots.ts';
import { queuePositionSignal, type SlotKey, type SlotRequest, slotGrantedSignal } from '../workflows/definitions.ts';

/** Queue positions signalled at once when a slot changes hands. */
const POSITION_SIGNALS_AT_ONCE = 16;

/**
 * Frees what `who` holds of the project's slot (or its place in the queue) and tells the executions
 * it concerns: the new holder that it holds the slot, those behind it their new position. A new holder
 * whose workflow has closed meanwhile (terminated while queued) is passed over for the next in line.
 */
export async function freeProjectSlot(db: Database, client: Client, slot: SlotKey, who: SlotRequester): Promise<void> {
  const handover = await leaveProjectSlot(db, slot, who);
  // The grants first, each on its own (one that cannot be told holds up no other), then the positions.
  const told = await Promise.allSettled(handover.granted.map(({ slot: granted, request }) => tellHolder(db, client, granted, request)));
  await tellPositions(client, handover.moved, handover.stamp);
  const failed = told.find((t): t is PromiseRejectedResult => t.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Tells the holder its request holds the slot; a holder whose workflow run has closed frees it. Said
 * again to a holder that has the slot already, it changes nothing; to one that gave up the request
 * (stopped while its grant was on its way), it hands the slot back.
 */
async function tellHolder(db: Database, client: Client, slot: SlotKey, holder: SlotRequest): Promise<void> {
  try {
    await signal(client, holder, slotGrantedSignal, { requestId: holder.requestId });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    await freeProjectSlot(db, client, slot, { requesterId: holder.requesterId, requesterRunId: holder.requesterRunId });
  }
}

/** Tells waiters their new place in the queue; a waiter that is gone hears nothing (it is passed over when its turn comes). */
async function tellPositions(client: Client, moved: SlotHandover['moved'], stamp: number): Promise<void> {
  for (let i = 0; i < moved.length; i += POSITION_SIGNALS_AT_ONCE) {
    const batch = moved.slice(i, i + POSITION_SIGNALS_AT_ONCE);
    await Promise.all(
      batch.map(({ request, position }) =>
        signal(client, request, queuePositionSignal, { requestId: request.requestId, position, stamp }).catch((err) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }),
      ),
    );
  }
}

/** Signals the workflow run that asked (not a later one under the same id: a reopened execution asks anew). */
function signal<T>(client: Client, request: SlotRequest, definition: { name: string }, arg: T): Promise<void> {
  return client.workflow.getHandle(request.requesterId, request.requesterRunId).signal(definition.name, arg);
}

/**
 * The owner of the execution whose workflow asks (`execution-<id>`), for the per-user cap. Its row is
 * written before it asks (the run's creation first): one missing is a retry's business, not a free pass.
 */
async function ownerOf(db: Database, workflowId: string): Promise<string | undefined> {
  const id = /^execution-([0-9a-f-]{36})$/.exec(workflowId)?.[1];
  if (!id) return undefined;
  const execution = await findExecutionRow(db, id);
  if (!execution) throw new Error(`execution ${id} is not recorded yet: its owner's cap cannot be counted`);
  return execution.ownerId;
}

/** The activities of the per-project slot (see db/project-slots.ts). */
export function createSlotActivities(db: Database, client: Client) {
  return {
    /**
     * Claims the project's slot, or a place in its queue (then the position is returned, and the slot
     * comes later as a `slotGranted` signal); first records `events` (the run's creation: one activity
     * fewer per run), each idempotent by its id. A retried claim answers the same.
     */
    async requestProjectSlot(input: SlotKey & { request: SlotRequest; events?: NewEvent[] }): Promise<SlotClaim> {
      for (const event of input.events ?? []) await appendEvent(db, event);
      // The execution's owner, for the per-user cap (recorded by the events above, or when it was created).
      const ownerId = await ownerOf(db, input.request.requesterId);
      for (;;) {
        const claim = await claimProjectSlot(db, input, input.request, ownerId);
        if ('heldBefore' in claim) {
          await freeProjectSlot(db, client, input, { requestId: claim.heldBefore });
          continue;
        }
        if (claim.granted) return claim;
        await tellPositions(client, claim.moved, claim.stamp);
        if (claim.checkHolder) await tellHolder(db, client, input, claim.checkHolder);
        return { granted: false, position: claim.position, stamp: claim.stamp };
      }
    },
    /** Gives the slot back (or leaves the queue) and hands it to the next in line. Idempotent. */
    async releaseProjectSlot(input: SlotKey & { requestId: string }): Promise<void> {
      await freeProjectSlot(db, client, input, { requestId: input.requestId });
    },
  };
}
