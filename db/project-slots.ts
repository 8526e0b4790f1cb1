import { and, asc, count, eq, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
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
 * every waiter that may start now: so nobody waits who could start. Each step is a few indexed
 * queries (a position is a count of the waiters ahead in its line); nothing reads the queue into memory.
 */

/** The caps when a tenant sets none: sane for one team on one machine. */
export const DEFAULT_MAX_RUNNING = 100;
export const DEFAULT_MAX_RUNNING_PER_USER = 25;

/**
 * How many waiters of a line a change tells their new position at once (a claim: those just behind
 * it; a release: the first of the tenant's queue and of each project it touches); the others learn theirs when they next ask (every waiter
 * asks again now and then, see workflows/slot-requester.ts).
 */
export const POSITIONS_TOLD = 100;

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

type WaiterRow = typeof projectSlotWaiters.$inferSelect;
type Caps = { tenant: number; user: number };
const waiter = projectSlotWaiters;
const queueOrder = [asc(waiter.requestedAt), asc(waiter.requestId)];

/** The waiter's project has a holder (so it waits in its project's line, not for a cap). */
const projectHeld = sql`exists (select 1 from project_slots held where held.tenant_id = ${waiter.tenantId} and held.project_id = ${waiter.projectId})`;
/** The waiter's owner holds fewer slots than the per-user cap. */
const ownerUnderCap = (caps: Caps) =>
  sql`(${waiter.ownerId} is null or (select count(*) from project_slots mine where mine.tenant_id = ${waiter.tenantId} and mine.owner_id = ${waiter.ownerId}) < ${caps.user})`;
/** Waiters ahead of (`<`) or behind (`>`) `row` in the queue's order. */
const inQueue = (side: '<' | '>', row: Pick<WaiterRow, 'requestedAt' | 'requestId'>) =>
  sql`(${waiter.requestedAt}, ${waiter.requestId}) ${sql.raw(side)} (${row.requestedAt.toISOString()}::timestamptz, ${row.requestId})`;

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
    const [[holder], [waiting], caps] = await Promise.all([
      tx.select().from(projectSlots).where(isSlot(projectSlots, key)),
      tx.select().from(waiter).where(eq(waiter.requestId, request.requestId)),
      capsOf(tx, key.tenantId),
    ]);
    if (holder?.requestId === request.requestId) return { granted: true as const };
    if (holder && holder.workflowId === request.requesterId) return { heldBefore: holder.requestId };
    const row = waiting ? { ...waiting, ownerId: waiting.ownerId ?? ownerId ?? null } : asRow(key, request, ownerId);
    if (!holder) {
      // First come, first served: a new claim starts only when no earlier waiter of its project could.
      const [[earlier], room] = await Promise.all([
        tx
          .select({ requestId: waiter.requestId })
          .from(waiter)
          .where(and(isSlot(waiter, key), inQueue('<', row), ownerUnderCap(caps)))
          .limit(1),
        mayStart(tx, key.tenantId, row.ownerId, caps),
      ]);
      if (!earlier && room) {
        // The claimant hears it in the answer: told already.
        await tx.insert(projectSlots).values({ ...row, toldAt: new Date() });
        if (waiting) await tx.delete(waiter).where(eq(waiter.requestId, request.requestId));
        return { granted: true as const };
      }
    }
    if (!waiting) await tx.insert(waiter).values(row);
    // Its line: behind those of its project when the project's slot is held, else behind every waiter for a cap.
    const line = holder ? isSlot(waiter, key) : and(eq(waiter.tenantId, key.tenantId), sql`not ${projectHeld}`);
    const [{ before }] = (await tx
      .select({ before: count() })
      .from(waiter)
      .where(and(line, inQueue('<', row)))) as [{ before: number }];
    const position = before + 1;
    // A new claim ahead of others (its run was created earlier) moves them down, one place each.
    const later = waiting
      ? []
      : await tx
          .select()
          .from(waiter)
          .where(and(line, inQueue('>', row)))
          .orderBy(...queueOrder)
          .limit(POSITIONS_TOLD);
    const moved = later.map((w, i) => ({ request: asRequest(w), position: position + 1 + i }));
    // First in line for a project held a while: its holder is asked, now and then, whether it still holds it.
    // Waiting for a cap, first in that line: the longest holder is the one to ask (one whose release failed holds room).
    const blocking =
      position !== 1
        ? undefined
        : (holder ??
          (await tx.select().from(projectSlots).where(eq(projectSlots.tenantId, key.tenantId)).orderBy(asc(projectSlots.grantedAt)).limit(1))[0]);
    const longHeld = blocking && Date.now() - blocking.grantedAt.getTime() >= HOLDER_CHECK_AFTER_MS;
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
    return handOut(tx, key.tenantId, [key.projectId], stamp, async () => {
      await tx.delete(projectSlots).where(and(isSlot(projectSlots, key), isRequester(projectSlots, who)));
      await tx.delete(waiter).where(and(eq(waiter.tenantId, key.tenantId), isRequester(waiter, who)));
    });
  });
}

/**
 * Hands the tenant's free room to the waiters that may start now (its caps were raised, or a hand-out
 * before failed to be made), telling the first in line their places.
 */
export async function handOutRoom(db: Database, tenantId: string): Promise<SlotHandover> {
  return db.transaction(async (tx) => handOut(tx, tenantId, [], await lockTenant(tx, tenantId), async () => undefined));
}

/** The tenants with executions waiting for a slot. */
export async function tenantsWithWaiters(db: Database): Promise<string[]> {
  return (await db.selectDistinct({ tenantId: waiter.tenantId }).from(waiter)).map((row) => row.tenantId);
}

/**
 * Makes a change, hands the room there is to the waiters that may start now, and says who was granted
 * a slot and who moved (among those a change tells: see knownPositions).
 */
async function handOut(tx: Transaction, tenantId: string, projectIds: string[], stamp: number, change: () => Promise<void>): Promise<SlotHandover> {
  const told = await knownPositions(tx, tenantId, projectIds);
  await change();
  const granted = await grantWhoMayStart(tx, tenantId);
  const now = await knownPositions(tx, tenantId, [...projectIds, ...granted.map((g) => g.slot.projectId)]);
  const moved = [...now.values()]
    .filter(({ row, position }) => told.get(row.requestId)?.position !== position)
    .map(({ row, position }) => ({ request: asRequest(row), position }));
  return { granted, moved, stamp };
}

/** Hands free room to the waiters that may start now, first come first served, each its project's slot. */
async function grantWhoMayStart(tx: Transaction, tenantId: string): Promise<SlotHandover['granted']> {
  const caps = await capsOf(tx, tenantId);
  const granted: SlotHandover['granted'] = [];
  let [{ running }] = (await tx.select({ running: count() }).from(projectSlots).where(eq(projectSlots.tenantId, tenantId))) as [{ running: number }];
  while (running < caps.tenant) {
    const [next] = await tx
      .select()
      .from(waiter)
      .where(and(eq(waiter.tenantId, tenantId), sql`not ${projectHeld}`, ownerUnderCap(caps)))
      .orderBy(...queueOrder)
      .limit(1);
    if (!next) break;
    // Not told yet: once its signal is sent, told_at says so (until then a maintenance scan tells it again).
    await tx.insert(projectSlots).values({ ...next, grantedAt: new Date(), toldAt: null });
    await tx.delete(waiter).where(eq(waiter.requestId, next.requestId));
    running += 1;
    granted.push({ slot: { tenantId, projectId: next.projectId }, request: asRequest(next) });
  }
  return granted;
}

/** Whether an execution of `ownerId` may start now: under the tenant's cap, and its owner under theirs. */
async function mayStart(tx: Transaction, tenantId: string, ownerId: string | null, caps: Caps): Promise<boolean> {
  const [{ running, mine }] = (await tx
    .select({ running: count(), mine: ownerId === null ? sql<number>`0` : sql<number>`count(*) filter (where ${projectSlots.ownerId} = ${ownerId})` })
    .from(projectSlots)
    .where(eq(projectSlots.tenantId, tenantId))) as [{ running: number; mine: number }];
  return running < caps.tenant && Number(mine) < caps.user;
}

/**
 * The places of the waiters a change can tell: the first of the tenant's queue, and the first of each
 * of `projectIds`' lines. A waiter's place is behind those of its project when the project's slot is
 * held, else behind every waiter for a cap; each place here counts every waiter ahead in its line
 * (the first of the queue have everyone ahead of them among them, and so do the first of a project's line).
 */
async function knownPositions(tx: Transaction, tenantId: string, projectIds: string[]) {
  const reads = [
    tx
      .select()
      .from(waiter)
      .where(eq(waiter.tenantId, tenantId))
      .orderBy(...queueOrder)
      .limit(POSITIONS_TOLD),
    ...[...new Set(projectIds)].map((projectId) =>
      tx
        .select()
        .from(waiter)
        .where(and(eq(waiter.tenantId, tenantId), eq(waiter.projectId, projectId)))
        .orderBy(...queueOrder)
        .limit(POSITIONS_TOLD),
    ),
  ];
  const [head, ...lines] = await Promise.all(reads);
  const rows = new Map<string, WaiterRow>();
  for (const w of [...head!, ...lines.flat()]) rows.set(w.requestId, w);
  const projects = [...new Set([...rows.values()].map((w) => w.projectId))];
  const held = new Set(
    projects.length === 0
      ? []
      : (
          await tx
            .select({ projectId: projectSlots.projectId })
            .from(projectSlots)
            .where(and(eq(projectSlots.tenantId, tenantId), inArray(projectSlots.projectId, projects)))
        ).map((h) => h.projectId),
  );
  const inHead = new Set(head!.map((w) => w.requestId));
  const perProject = new Map<string, number>();
  let forCaps = 0;
  const places = new Map<string, { row: WaiterRow; position: number }>();
  const deep: WaiterRow[] = [];
  for (const w of [...rows.values()].sort(inQueueOrder)) {
    if (held.has(w.projectId)) {
      const position = (perProject.get(w.projectId) ?? 0) + 1;
      perProject.set(w.projectId, position);
      places.set(w.requestId, { row: w, position });
    } else if (inHead.has(w.requestId)) {
      places.set(w.requestId, { row: w, position: ++forCaps });
    } else {
      deep.push(w);
    }
  }
  // Waiters of a project's line beyond the head of the queue that wait for a cap (their project is free
  // now): their places among all who wait for a cap, counted in one pass.
  if (deep.length > 0) {
    const ranked = tx
      .select({
        requestId: waiter.requestId,
        position: sql<number>`row_number() over (order by ${waiter.requestedAt}, ${waiter.requestId})`.as('position'),
      })
      .from(waiter)
      .where(and(eq(waiter.tenantId, tenantId), sql`not ${projectHeld}`))
      .as('ranked');
    const found = await tx
      .select()
      .from(ranked)
      .where(
        inArray(
          ranked.requestId,
          deep.map((w) => w.requestId),
        ),
      );
    const rowOf = new Map(deep.map((w) => [w.requestId, w]));
    for (const { requestId, position } of found) places.set(requestId, { row: rowOf.get(requestId)!, position: Number(position) });
  }
  return places;
}

const inQueueOrder = (a: WaiterRow, b: WaiterRow) =>
  a.requestedAt.getTime() - b.requestedAt.getTime() || (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0);

/** The tenant's caps. */
async function capsOf(tx: Transaction, tenantId: string): Promise<Caps> {
  const [tenant] = await tx
    .select({ maxRunning: tenants.maxRunning, maxRunningPerUser: tenants.maxRunningPerUser })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  return { tenant: tenant?.maxRunning ?? DEFAULT_MAX_RUNNING, user: tenant?.maxRunningPerUser ?? DEFAULT_MAX_RUNNING_PER_USER };
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

/** The rows of `who`: one request, or every request of one workflow run. */
function isRequester(table: typeof projectSlots | typeof projectSlotWaiters, who: SlotRequester): SQL {
  if ('requestId' in who) return eq(table.requestId, who.requestId);
  return and(eq(table.workflowId, who.requesterId), eq(table.workflowRunId, who.requesterRunId))!;
}

/** Records that the holder of `requestId` was told it holds the slot (its signal sent). */
export async function markGrantTold(db: Database, slot: SlotKey, requestId: string): Promise<void> {
  await db
    .update(projectSlots)
    .set({ toldAt: new Date() })
    .where(and(isSlot(projectSlots, slot), eq(projectSlots.requestId, requestId), isNull(projectSlots.toldAt)));
}

/** Slots granted more than `olderThanMs` ago whose holders have not been told (the activity telling them failed). */
export async function untoldGrants(db: Database, olderThanMs: number): Promise<SlotHandover['granted']> {
  const rows = await db
    .select()
    .from(projectSlots)
    .where(and(isNull(projectSlots.toldAt), lt(projectSlots.grantedAt, new Date(Date.now() - olderThanMs))))
    .limit(1000);
  return rows.map((row) => ({ slot: { tenantId: row.tenantId, projectId: row.projectId }, request: asRequest(row) }));
}

/** The project's slot and queue, for operators and tests. */
export async function projectSlotState(db: Database, slot: SlotKey): Promise<{ holder: SlotRequest | null; queue: SlotRequest[] }> {
  const [holder] = await db.select().from(projectSlots).where(isSlot(projectSlots, slot));
  const queue = await db
    .select()
    .from(waiter)
    .where(isSlot(waiter, slot))
    .orderBy(...queueOrder);
  return { holder: holder ? asRequest(holder) : null, queue: queue.map(asRequest) };
}

function asRequest(row: { requestId: string; workflowId: string; workflowRunId: string; requestedAt: Date }): SlotRequest {
  return { requestId: row.requestId, requesterId: row.workflowId, requesterRunId: row.workflowRunId, requestedAt: row.requestedAt.toISOString() };
}

function asRow(slot: SlotKey, request: SlotRequest, ownerId?: string): WaiterRow {
  return {
    ...slotOf(slot),
    requestId: request.requestId,
    ownerId: ownerId ?? null,
    workflowId: request.requesterId,
    workflowRunId: request.requesterRunId,
    requestedAt: new Date(request.requestedAt),
  };
}
