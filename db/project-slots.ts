import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { SlotKey, SlotRequest } from '../workflows/definitions.ts';
import type { Database } from './client.ts';
import type { Transaction } from './projections.ts';
import { projectSlots, projectSlotWaiters } from './schema.ts';
import { DEFAULT_TENANT_ID } from './tenants.ts';

/**
 * One execution at a time per project. The holder has the project's `project_slots` row; the others
 * wait in `project_slot_waiters`, served by the creation time of their runs. Nobody waits while
 * nobody holds: a claim queues only while it sees a holder, and whatever frees the slot hands it to
 * the first waiter in the same transaction. So an uncontended claim is one insert.
 */

/** A queued claim's position; `stamp` orders it among the positions its waiter is told. */
export type SlotClaim = { granted: true } | { granted: false; position: number; stamp: number };

/**
 * A claim that queued: also who it moved down, and, when it is first in line and the slot has been
 * held a while, the holder to ask whether the slot is still its own (`checkHolder`).
 */
type QueuedClaim = Extract<SlotClaim, { granted: false }> & Pick<SlotHandover, 'moved'> & { checkHolder?: SlotRequest };

/** What freeing a slot or leaving its queue changed: who holds it now, and who moved up (as of `stamp`). */
export interface SlotHandover {
  granted?: SlotRequest;
  moved: { request: SlotRequest; position: number }[];
  stamp: number;
}

/** Who asked: an execution's workflow run, by its request or by all it asked for. */
export type SlotRequester = { requestId: string } | { requesterId: string; requesterRunId: string };

/** How long the slot is held before the first in line has the holder checked. */
const HOLDER_CHECK_AFTER_MS = 60_000;

/** A claim retried this often at most when the holder leaves between its insert and its queueing. */
const CLAIM_TRIES = 10;

/** A slot's tenant and project (a key without a tenant is from before tenants: the default tenant's). */
const slotOf = (key: SlotKey) => ({ tenantId: key.tenantId ?? DEFAULT_TENANT_ID, projectId: key.projectId });
const isSlot = (table: typeof projectSlots | typeof projectSlotWaiters, key: SlotKey) => {
  const { tenantId, projectId } = slotOf(key);
  return and(eq(table.tenantId, tenantId), eq(table.projectId, projectId));
};
const slotName = (key: SlotKey) => `${slotOf(key).tenantId}/${key.projectId}`;

/**
 * Claims the project's slot for `request`, or queues it; idempotent (a retried claim answers the same).
 * A request queued ahead of others (its run was created earlier) moves them down: `moved`.
 * `checkHolder`: the first in line, the slot held a while; the caller asks the holder whether it is
 * still its own (a holder that closed, or that no longer wants it, frees it).
 * `heldBefore`: the slot is still held by an earlier request of the same execution (its release failed
 * for good); the caller frees that one and claims again.
 */
export async function claimProjectSlot(
  db: Database,
  slot: SlotKey,
  request: SlotRequest,
): Promise<{ granted: true } | QueuedClaim | { heldBefore: string }> {
  const row = asRow(slot, request);
  for (let tries = 0; tries < CLAIM_TRIES; tries++) {
    const claimed = await db.insert(projectSlots).values(row).onConflictDoNothing().returning({ projectId: projectSlots.projectId });
    if (claimed.length > 0) return { granted: true };
    const queued = await db.transaction(async (tx) => {
      const stamp = await lockSlot(tx, slot);
      const [holder] = await tx.select().from(projectSlots).where(isSlot(projectSlots, slot));
      if (!holder) return undefined;
      if (holder.requestId === request.requestId) return { granted: true as const };
      if (holder.workflowId === request.requesterId) return { heldBefore: holder.requestId };
      const inserted = await tx.insert(projectSlotWaiters).values(row).onConflictDoNothing().returning({ requestId: projectSlotWaiters.requestId });
      const queue = await waitersOf(tx, slot);
      const position = queue.findIndex((r) => r.requestId === request.requestId) + 1;
      const behind = inserted.length > 0 ? queue.slice(position) : [];
      const moved = behind.map((r, i) => ({ request: r, position: position + i + 1 }));
      // The first in line has the holder asked, now and then, whether it still holds the slot.
      const longHeld = position === 1 && Date.now() - holder.grantedAt.getTime() >= HOLDER_CHECK_AFTER_MS;
      return { granted: false as const, position, stamp, moved, ...(longHeld && { checkHolder: asRequest(holder) }) };
    });
    if (queued) return queued;
  }
  throw new Error(`the slot of project ${slotName(slot)} changed hands ${CLAIM_TRIES} times while it was claimed; try again`);
}

/**
 * Frees what `who` holds of the project's slot and takes it out of the queue, handing the slot to the
 * first waiter when it was held. Idempotent: what is gone already changes nothing.
 */
export async function leaveProjectSlot(db: Database, slot: SlotKey, who: SlotRequester): Promise<SlotHandover> {
  return db.transaction(async (tx) => {
    const stamp = await lockSlot(tx, slot);
    const [holder] = await tx.select().from(projectSlots).where(isSlot(projectSlots, slot));
    const before = await waitersOf(tx, slot);
    const freed = holder !== undefined && isRequester(asRequest(holder), who);
    if (freed) await tx.delete(projectSlots).where(isSlot(projectSlots, slot));
    const queue = before.filter((r) => !isRequester(r, who));
    const granted = freed ? queue.shift() : undefined;
    const gone = before.filter((r) => !queue.includes(r)).map((r) => r.requestId);
    if (gone.length > 0) await tx.delete(projectSlotWaiters).where(inArray(projectSlotWaiters.requestId, gone));
    if (granted) await tx.insert(projectSlots).values(asRow(slot, granted));
    const told = new Map(before.map((r, i) => [r.requestId, i + 1]));
    const moved = queue.map((request, i) => ({ request, position: i + 1 })).filter((m) => told.get(m.request.requestId) !== m.position);
    return { granted, moved, stamp };
  });
}

/**
 * Claims that queue and leaves of one project take turns (a transaction lock on the project), so each
 * sees what the one before it did; returns the change's stamp, larger than any before it. An
 * uncontended claim takes no lock: its insert succeeds only while nobody holds the slot, and then
 * nobody waits.
 */
async function lockSlot(tx: Transaction, slot: SlotKey): Promise<number> {
  // The lock in a subquery: it is taken before the stamp is drawn.
  const [row] = await tx
    .select({ stamp: sql<string>`nextval('project_slot_changes')` })
    .from(sql`(select pg_advisory_xact_lock(hashtextextended(${`agent-runs:project-slot:${slotName(slot)}`}, 0))) as locked`);
  return Number(row!.stamp);
}

function isRequester(request: SlotRequest, who: SlotRequester): boolean {
  if ('requestId' in who) return request.requestId === who.requestId;
  return request.requesterId === who.requesterId && request.requesterRunId === who.requesterRunId;
}

/** The project's slot and queue, for operators and tests. */
export async function projectSlotState(db: Database, slot: SlotKey): Promise<{ holder: SlotRequest | null; queue: SlotRequest[] }> {
  const [holder] = await db.select().from(projectSlots).where(isSlot(projectSlots, slot));
  return { holder: holder ? asRequest(holder) : null, queue: await waitersOf(db, slot) };
}

async function waitersOf(db: Database | Transaction, slot: SlotKey): Promise<SlotRequest[]> {
  const rows = await db
    .select()
    .from(projectSlotWaiters)
    .where(isSlot(projectSlotWaiters, slot))
    .orderBy(asc(projectSlotWaiters.requestedAt), asc(projectSlotWaiters.requestId));
  return rows.map(asRequest);
}

function asRequest(row: { requestId: string; workflowId: string; workflowRunId: string; requestedAt: Date }): SlotRequest {
  return { requestId: row.requestId, requesterId: row.workflowId, requesterRunId: row.workflowRunId, requestedAt: row.requestedAt.toISOString() };
}

function asRow(slot: SlotKey, request: SlotRequest) {
  return {
    ...slotOf(slot),
    requestId: request.requestId,
    workflowId: request.requesterId,
    workflowRunId: request.requesterRunId,
    requestedAt: new Date(request.requestedAt),
  };
}
