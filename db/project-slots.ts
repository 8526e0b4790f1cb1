import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { SlotKey, SlotRequest } from '../workflows/definitions.ts';
import type { Database } from './client.ts';
import type { Transaction } from './projections.ts';
import { projectSlots, projectSlotWaiters, tenants } from './schema.ts';
import { DEFAULT_TENANT_ID } from './tenants.ts';

/**
 * One execution at a time per project, and at most a tenant's cap of them at work at once (and a
 * user's cap of one owner's). A holder has its project's `project_slots` row; the others wait in
 * `project_slot_waiters`, served by the creation time of their runs. Claims and releases of one tenant
 * take turns (a transaction lock), and whatever frees a slot hands it, in the same transaction, to
 * every waiter that may start now: so nobody waits who could start.
 */

/** The caps when a tenant sets none: sane for one team on one machine. */
export const DEFAULT_MAX_RUNNING = 100;
export const DEFAULT_MAX_RUNNING_PER_USER = 25;

/** A queued claim's position; `stamp` orders it among the positions its waiter is told. */
export type SlotClaim = { granted: true } | { granted: false; position: number; stamp: number };

/**
 * A claim that queued: also who it moved down, and, when it is first in line for a project whose
 * slot has been held a while, the holder to ask whether the slot is still its own (`checkHolder`).
 */
type QueuedClaim = Extract<SlotClaim, { granted: false }> & Pick<SlotHandover, 'moved'> & { checkHolder?: SlotRequest };

/** What freeing a slot or leaving its queue changed: who holds a slot now, and who moved (as of `stamp`). */
export interface SlotHandover {
  granted: { slot: Required<SlotKey>; request: SlotRequest }[];
  moved: { request: SlotRequest; position: number }[];
  stamp: number;
}

/** Who asked: an execution's workflow run, by its request or by all it asked for. */
export type SlotRequester = { requestId: string } | { requesterId: string; requesterRunId: string };

/** How long the slot is held before the first in line has the holder checked. */
const HOLDER_CHECK_AFTER_MS = 60_000;

/** A slot's tenant and project (a key without a tenant is from before tenants: the default tenant's). */
const slotOf = (key: SlotKey) => ({ tenantId: key.tenantId ?? DEFAULT_TENANT_ID, projectId: key.projectId });
const isSlot = (table: typeof projectSlots | typeof projectSlotWaiters, key: SlotKey) => {
  const { tenantId, projectId } = slotOf(key);
  return and(eq(table.tenantId, tenantId), eq(table.projectId, projectId));
};

type HolderRow = typeof projectSlots.$inferSelect;
type WaiterRow = typeof projectSlotWaiters.$inferSelect;

/**
 * Claims the project's slot for `request` (of an execution of `ownerId`), or queues it; idempotent (a
 * retried claim answers the same). A request queued ahead of others (its run was created earlier) moves
 * them down: `moved`. `checkHolder`: first in line for a project held a while; the caller asks the
 * holder whether it is still its own (a holder that closed, or that no longer wants it, frees it).
 * `heldBefore`: the slot is still held by an earlier request of the same execution (its release failed
 * for good); the caller frees that one and claims again.
 */
export async function claimProjectSlot(
  db: Database,
  slot: SlotKey,
  request: SlotRequest,
  ownerId?: string,
): Promise<{ granted: true } | QueuedClaim | { heldBefore: string }> {
  const key = slotOf(slot);
  return db.transaction(async (tx) => {
    const stamp = await lockTenant(tx, key.tenantId);
    const { holders, waiters, caps } = await tenantState(tx, key.tenantId);
    const holder = holders.find((h) => h.projectId === key.projectId);
    if (holder?.requestId === request.requestId) return { granted: true as const };
    if (holder && holder.workflowId === request.requesterId) return { heldBefore: holder.requestId };
    const row = asRow(key, request, ownerId);
    const waiting = waiters.find((w) => w.requestId === request.requestId);
    // First come, first served: a new claim starts only when no earlier waiter of its project is in line.
    const earlier = waiters.some(
      (w) => w.projectId === key.projectId && w.requestId !== request.requestId && inQueueOrder(w, asWaiter(row)) < 0 && mayStart(w, holders, caps),
    );
    if (!holder && !earlier && mayStart(row, holders, caps)) {
      await tx.insert(projectSlots).values({ ...row, ownerId: waiting?.ownerId ?? row.ownerId });
      if (waiting) await tx.delete(projectSlotWaiters).where(eq(projectSlotWaiters.requestId, request.requestId));
      return { granted: true as const };
    }
    const before = positions(holders, waiters);
    const queue = waiting ? waiters : [...waiters, { ...row, ownerId: ownerId ?? null }].sort(inQueueOrder);
    if (!waiting) await tx.insert(projectSlotWaiters).values(row);
    const now = positions(holders, queue);
    const position = now.get(request.requestId)!;
    const moved = queue
      .filter((w) => w.requestId !== request.requestId && before.get(w.requestId) !== now.get(w.requestId))
      .map((w) => ({ request: asRequest(w), position: now.get(w.requestId)! }));
    // First in line for a project held a while: its holder is asked, now and then, whether it still holds it.
    const firstForProject = queue.find((w) => w.projectId === key.projectId)?.requestId === request.requestId;
    // Waiting for a cap, first in that line: the longest holder is the one to ask (one whose release failed holds room).
    const blocking = holder ?? (position === 1 ? [...holders].sort((x, y) => x.grantedAt.getTime() - y.grantedAt.getTime())[0] : undefined);
    const longHeld = blocking && (holder ? firstForProject : true) && Date.now() - blocking.grantedAt.getTime() >= HOLDER_CHECK_AFTER_MS;
    return { granted: false as const, position, stamp, moved, ...(longHeld && { checkHolder: asRequest(blocking) }) };
  });
}

/**
 * Frees what `who` holds of the project's slot and takes it out of the queue, handing slots to every
 * waiter of the tenant that may start now (first come, first served). Idempotent: what is gone
 * already changes nothing.
 */
export async function leaveProjectSlot(db: Database, slot: SlotKey, who: SlotRequester): Promise<SlotHandover> {
  const key = slotOf(slot);
  return db.transaction(async (tx) => {
    const stamp = await lockTenant(tx, key.tenantId);
    const { holders: before, waiters, caps } = await tenantState(tx, key.tenantId);
    const told = positions(before, waiters);
    const freed = before.find((h) => h.projectId === key.projectId && isRequester(asRequest(h), who));
    if (freed) await tx.delete(projectSlots).where(isSlot(projectSlots, key));
    const holders = before.filter((h) => h !== freed);
    const gone = waiters.filter((w) => isRequester(asRequest(w), who));
    let queue = waiters.filter((w) => !gone.includes(w));
    const granted: SlotHandover['granted'] = [];
    for (const w of [...queue]) {
      if (holders.some((h) => h.projectId === w.projectId) || !mayStart(w, holders, caps)) continue;
      const { ownerId, ...rest } = w;
      const row = { ...rest, ownerId, grantedAt: new Date() };
      await tx.insert(projectSlots).values(row);
      holders.push(row);
      queue = queue.filter((q) => q !== w);
      granted.push({ slot: { tenantId: w.tenantId, projectId: w.projectId }, request: asRequest(w) });
    }
    const leaving = [...gone, ...granted.map((g) => g.request)].map((r) => r.requestId);
    if (leaving.length > 0) await tx.delete(projectSlotWaiters).where(inArray(projectSlotWaiters.requestId, leaving));
    const now = positions(holders, queue);
    const moved = queue
      .filter((w) => told.get(w.requestId) !== now.get(w.requestId))
      .map((w) => ({ request: asRequest(w), position: now.get(w.requestId)! }));
    return { granted, moved, stamp };
  });
}

/** Whether a request may start now: under the tenant's cap, and its owner under theirs. */
function mayStart(request: { ownerId: string | null }, holders: HolderRow[], caps: { tenant: number; user: number }): boolean {
  if (holders.length >= caps.tenant) return false;
  return request.ownerId === null || holders.filter((h) => h.ownerId === request.ownerId).length < caps.user;
}

/**
 * Each waiter's place: behind those of its project when the project's slot is held, else behind
 * every waiter that waits for a cap to make room (first come, first served).
 */
function positions(holders: HolderRow[], queue: WaiterRow[]): Map<string, number> {
  const held = new Set(holders.map((h) => h.projectId));
  const perProject = new Map<string, number>();
  let forCaps = 0;
  const places = new Map<string, number>();
  for (const w of queue) {
    if (held.has(w.projectId)) {
      const place = (perProject.get(w.projectId) ?? 0) + 1;
      perProject.set(w.projectId, place);
      places.set(w.requestId, place);
    } else {
      places.set(w.requestId, ++forCaps);
    }
  }
  return places;
}

const inQueueOrder = (a: WaiterRow, b: WaiterRow) =>
  a.requestedAt.getTime() - b.requestedAt.getTime() || (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0);

/** A tenant's holders, its queue in order, and its caps, as of the lock. */
async function tenantState(tx: Transaction, tenantId: string) {
  const [holders, waiters, [tenant]] = await Promise.all([
    tx.select().from(projectSlots).where(eq(projectSlots.tenantId, tenantId)),
    tx
      .select()
      .from(projectSlotWaiters)
      .where(eq(projectSlotWaiters.tenantId, tenantId))
      .orderBy(asc(projectSlotWaiters.requestedAt), asc(projectSlotWaiters.requestId)),
    tx.select({ maxRunning: tenants.maxRunning, maxRunningPerUser: tenants.maxRunningPerUser }).from(tenants).where(eq(tenants.id, tenantId)),
  ]);
  const caps = { tenant: tenant?.maxRunning ?? DEFAULT_MAX_RUNNING, user: tenant?.maxRunningPerUser ?? DEFAULT_MAX_RUNNING_PER_USER };
  return { holders, waiters, caps };
}

/**
 * Claims and leaves of one tenant take turns (a transaction lock on the tenant), so each sees what the
 * one before it did; returns the change's stamp, larger than any before it.
 */
async function lockTenant(tx: Transaction, tenantId: string): Promise<number> {
  // The lock in a subquery: it is taken before the stamp is drawn.
  const [row] = await tx
    .select({ stamp: sql<string>`nextval('project_slot_changes')` })
    .from(sql`(select pg_advisory_xact_lock(hashtextextended(${`agent-runs:tenant-slots:${tenantId}`}, 0))) as locked`);
  return Number(row!.stamp);
}

function isRequester(request: SlotRequest, who: SlotRequester): boolean {
  if ('requestId' in who) return request.requestId === who.requestId;
  return request.requesterId === who.requesterId && request.requesterRunId === who.requesterRunId;
}

/** The project's slot and queue, for operators and tests. */
export async function projectSlotState(db: Database, slot: SlotKey): Promise<{ holder: SlotRequest | null; queue: SlotRequest[] }> {
  const [holder] = await db.select().from(projectSlots).where(isSlot(projectSlots, slot));
  const queue = await db
    .select()
    .from(projectSlotWaiters)
    .where(isSlot(projectSlotWaiters, slot))
    .orderBy(asc(projectSlotWaiters.requestedAt), asc(projectSlotWaiters.requestId));
  return { holder: holder ? asRequest(holder) : null, queue: queue.map(asRequest) };
}

function asRequest(row: { requestId: string; workflowId: string; workflowRunId: string; requestedAt: Date }): SlotRequest {
  return { requestId: row.requestId, requesterId: row.workflowId, requesterRunId: row.workflowRunId, requestedAt: row.requestedAt.toISOString() };
}

const asWaiter = (row: ReturnType<typeof asRow>): WaiterRow => row;

function asRow(slot: SlotKey, request: SlotRequest, ownerId?: string) {
  return {
    ...slotOf(slot),
    requestId: request.requestId,
    ownerId: ownerId ?? null,
    workflowId: request.requesterId,
    workflowRunId: request.requesterRunId,
    requestedAt: new Date(request.requestedAt),
  };
}
