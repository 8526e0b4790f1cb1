import { and, asc, eq, type SQL } from 'drizzle-orm';
import type { SlotRequest } from '../workflows/definitions.ts';
import type { Database } from './client.ts';
import type { Transaction } from './projections.ts';
import { projectSlots, projectSlotWaiters } from './schema.ts';

/**
 * One execution at a time per project. The holder has the project's `project_slots` row; the others
 * wait in `project_slot_waiters`, served by the creation time of their runs. Nobody waits while
 * nobody holds: a claim queues only under the holder's row lock, and whatever frees the slot hands it
 * to the first waiter in the same transaction. So an uncontended claim is one insert.
 */

export type SlotClaim = { granted: true } | { granted: false; position: number };

/** What freeing a slot or leaving its queue changed: who holds it now, and who moved up. */
export interface SlotHandover {
  granted?: SlotRequest;
  moved: { request: SlotRequest; position: number }[];
}

/** Who asked: an execution's workflow run, by its request or by all it asked for. */
export type SlotRequester = { requestId: string } | { requesterId: string; requesterRunId: string };

/** A claim retried this often at most when the holder leaves between its insert and its queueing. */
const CLAIM_TRIES = 10;

/**
 * Claims the project's slot for `request`, or queues it; idempotent (a retried claim answers the same).
 * A request queued ahead of others (its run was created earlier) moves them down: `moved`.
 * `heldBefore`: the slot is still held by an earlier request of the same execution (its release failed
 * for good); the caller frees that one and claims again.
 */
export async function claimProjectSlot(
  db: Database,
  projectId: string,
  request: SlotRequest,
): Promise<(SlotClaim & Pick<SlotHandover, 'moved'>) | { heldBefore: string }> {
  const row = {
    projectId,
    requestId: request.requestId,
    workflowId: request.requesterId,
    workflowRunId: request.requesterRunId,
    requestedAt: new Date(request.requestedAt),
  };
  for (let tries = 0; tries < CLAIM_TRIES; tries++) {
    const claimed = await db.insert(projectSlots).values(row).onConflictDoNothing().returning({ projectId: projectSlots.projectId });
    if (claimed.length > 0) return { granted: true, moved: [] };
    const queued = await db.transaction(async (tx) => {
      // The holder's row lock: whoever frees the slot waits for this queueing, then sees it.
      const [holder] = await tx
        .select({ requestId: projectSlots.requestId, workflowId: projectSlots.workflowId })
        .from(projectSlots)
        .where(eq(projectSlots.projectId, projectId))
        .for('update');
      if (!holder) return undefined;
      if (holder.requestId === request.requestId) return { granted: true as const, moved: [] };
      if (holder.workflowId === request.requesterId) return { heldBefore: holder.requestId };
      const inserted = await tx.insert(projectSlotWaiters).values(row).onConflictDoNothing().returning({ requestId: projectSlotWaiters.requestId });
      const queue = await waitersOf(tx, projectId);
      const position = queue.findIndex((r) => r.requestId === request.requestId) + 1;
      const behind = inserted.length > 0 ? queue.slice(position) : [];
      return { granted: false as const, position, moved: behind.map((r, i) => ({ request: r, position: position + i + 1 })) };
    });
    if (queued) return queued;
  }
  throw new Error(`the slot of project ${projectId} changed hands ${CLAIM_TRIES} times while it was claimed; try again`);
}

/**
 * Frees what `who` holds of the project's slot and takes it out of the queue, handing the slot to the
 * first waiter when it was held. Idempotent: what is gone already changes nothing.
 */
export async function leaveProjectSlot(db: Database, projectId: string, who: SlotRequester): Promise<SlotHandover> {
  return db.transaction(async (tx) => {
    const before = await waitersOf(tx, projectId);
    const freed = await tx
      .delete(projectSlots)
      .where(and(eq(projectSlots.projectId, projectId), matching(projectSlots, who)))
      .returning({ projectId: projectSlots.projectId });
    await tx.delete(projectSlotWaiters).where(and(eq(projectSlotWaiters.projectId, projectId), matching(projectSlotWaiters, who)));
    // Read again after the holder's row lock: a claim that queued meanwhile is in line too.
    let queue = freed.length > 0 || before.length > 0 ? await waitersOf(tx, projectId) : [];
    let granted: SlotRequest | undefined;
    while (freed.length > 0 && !granted && queue.length > 0) {
      // Only a waiter still there: one leaving the queue at this moment is passed over.
      const [next] = await tx.delete(projectSlotWaiters).where(eq(projectSlotWaiters.requestId, queue[0]!.requestId)).returning();
      if (!next) {
        queue = await waitersOf(tx, projectId);
        continue;
      }
      granted = asRequest(next);
      queue = queue.slice(1);
      await tx.insert(projectSlots).values({ ...next, projectId });
    }
    const told = new Map(before.map((r, i) => [r.requestId, i + 1]));
    const moved = queue.map((request, i) => ({ request, position: i + 1 })).filter((m) => told.get(m.request.requestId) !== m.position);
    return { granted, moved };
  });
}

/** The project's slot and queue, for operators and tests. */
export async function projectSlotState(db: Database, projectId: string): Promise<{ holder: SlotRequest | null; queue: SlotRequest[] }> {
  const [holder] = await db.select().from(projectSlots).where(eq(projectSlots.projectId, projectId));
  return { holder: holder ? asRequest(holder) : null, queue: await waitersOf(db, projectId) };
}

async function waitersOf(db: Database | Transaction, projectId: string): Promise<SlotRequest[]> {
  const rows = await db
    .select()
    .from(projectSlotWaiters)
    .where(eq(projectSlotWaiters.projectId, projectId))
    .orderBy(asc(projectSlotWaiters.requestedAt), asc(projectSlotWaiters.requestId));
  return rows.map(asRequest);
}

function asRequest(row: { requestId: string; workflowId: string; workflowRunId: string; requestedAt: Date }): SlotRequest {
  return { requestId: row.requestId, requesterId: row.workflowId, requesterRunId: row.workflowRunId, requestedAt: row.requestedAt.toISOString() };
}

function matching(table: typeof projectSlots | typeof projectSlotWaiters, who: SlotRequester): SQL | undefined {
  if ('requestId' in who) return eq(table.requestId, who.requestId);
  return and(eq(table.workflowId, who.requesterId), eq(table.workflowRunId, who.requesterRunId));
}
