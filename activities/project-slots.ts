import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { NewEvent } from '../common/events.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { findExecutionRow } from '../db/executions.ts';
import {
  claimProjectSlot,
  handOutRoom,
  leaveProjectSlot,
  markGrantTold,
  type SlotClaim,
  type SlotHandover,
  type SlotRequester,
  tenantsWithWaiters,
  untoldGrants,
} from '../db/project-slots.ts';
import { queuePositionSignal, type SlotKey, type SlotRequest, slotGrantedSignal } from '../workflows/definitions.ts';

/** Signals (grants, queue positions) sent at once when slots change hands. */
const SIGNALS_AT_ONCE = 16;
/** A grant not told this long after it was made is told again by the maintenance scan. */
const UNTOLD_AFTER_MS = 30_000;

/**
 * Frees what `who` holds of the project's slot (or its place in the queue) and tells the executions
 * it concerns: the new holder that it holds the slot, those behind it their new position. A new holder
 * whose workflow has closed meanwhile (terminated while queued) is passed over for the next in line.
 */
export async function freeProjectSlot(db: Database, client: Client, slot: SlotKey, who: SlotRequester): Promise<void> {
  await tell(db, client, await leaveProjectSlot(db, slot, who));
}

/** Hands a tenant's free room to those waiting for it (its caps were raised) and tells them. */
export async function handOutTenantRoom(db: Database, client: Client, tenantId: string): Promise<void> {
  await tell(db, client, await handOutRoom(db, tenantId));
}

/** Tells the new holders, each on its own (one that cannot be told holds up no other), then who moved. */
async function tell(db: Database, client: Client, handover: SlotHandover): Promise<void> {
  const failed = await tellHolders(db, client, handover.granted);
  await tellPositions(client, handover.moved, handover.stamp);
  if (failed) throw failed;
}

/** Tells holders, a bounded number at once, each on its own; the first failure, if any. */
async function tellHolders(db: Database, client: Client, granted: SlotHandover['granted']): Promise<unknown> {
  const told = await inBatches(granted, ({ slot, request }) => tellHolder(db, client, slot, request));
  return told.find((t): t is PromiseRejectedResult => t.status === 'rejected')?.reason;
}

/** Runs `send` for each item, SIGNALS_AT_ONCE at a time, each settled on its own. */
async function inBatches<T>(items: T[], send: (item: T) => Promise<void>): Promise<PromiseSettledResult<void>[]> {
  const settled: PromiseSettledResult<void>[] = [];
  for (let i = 0; i < items.length; i += SIGNALS_AT_ONCE) settled.push(...(await Promise.allSettled(items.slice(i, i + SIGNALS_AT_ONCE).map(send))));
  return settled;
}

/**
 * The net under hand-outs whose news was lost (their activity, or the API request raising a cap,
 * failed after the commit): holders not told for a while are told again, and every tenant with
 * waiters has its free room handed out. Run by each maintenance scan.
 */
export async function mendProjectSlots(db: Database, client: Client): Promise<void> {
  await tellHolders(db, client, await untoldGrants(db, UNTOLD_AFTER_MS));
  for (const tenantId of await tenantsWithWaiters(db)) await tell(db, client, await handOutRoom(db, tenantId));
}

/**
 * Tells the holder its request holds the slot; a holder whose workflow run has closed frees it. Said
 * again to a holder that has the slot already, it changes nothing; to one that gave up the request
 * (stopped while its grant was on its way), it hands the slot back.
 */
async function tellHolder(db: Database, client: Client, slot: SlotKey, holder: SlotRequest): Promise<void> {
  try {
    await signal(client, holder, slotGrantedSignal, { requestId: holder.requestId });
    await markGrantTold(db, slot, holder.requestId);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    await freeProjectSlot(db, client, slot, { requesterId: holder.requesterId, requesterRunId: holder.requesterRunId });
  }
}

/** Tells waiters their new place in the queue; a waiter that is gone hears nothing (it is passed over when its turn comes). */
async function tellPositions(client: Client, moved: SlotHandover['moved'], stamp: number): Promise<void> {
  const told = await inBatches(moved, ({ request, position }) =>
    signal(client, request, queuePositionSignal, { requestId: request.requestId, position, stamp }).catch((err) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }),
  );
  const failed = told.find((t): t is PromiseRejectedResult => t.status === 'rejected');
  if (failed) throw failed.reason;
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
