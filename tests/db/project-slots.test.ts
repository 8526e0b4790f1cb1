import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../db/client.ts';
import {
  claimProjectSlot,
  handOutRoom,
  leaveProjectSlot,
  markGrantTold,
  POSITIONS_TOLD,
  projectSlotState,
  untoldGrants,
} from '../../db/project-slots.ts';
import { tenants } from '../../db/schema.ts';
import { ensureTenant } from '../../db/tenants.ts';
import type { SlotRequest } from '../../workflows/definitions.ts';
import { DRIVERS, openFreshDatabase } from '../helpers/databases.ts';

/** A request of execution `name`, its run created `second` seconds into the day. */
const request = (name: string, second: number): SlotRequest => ({
  requesterId: `execution-${name}`,
  requesterRunId: `run-of-${name}`,
  requestId: randomUUID(),
  requestedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
});

const stampOf = (claim: object) => (claim as { stamp: number }).stamp;

describe.each(DRIVERS)('project slots on %s', (driver) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ handle, dispose } = await openFreshDatabase(driver));
  });
  afterAll(() => dispose?.());

  const claim = (projectId: string, r: SlotRequest) => claimProjectSlot(handle.db, { projectId }, r);
  const holderOf = async (projectId: string) => (await projectSlotState(handle.db, { projectId })).holder?.requesterId;

  it('grants an uncontended claim at once and queues the others by creation time, moving later ones down', async () => {
    const project = `p-${randomUUID()}`;
    const [a, b, c] = [request('a', 1), request('b', 3), request('c', 2)];
    expect(await claim(project, a)).toEqual({ granted: true });
    const queuedB = await claim(project, b);
    expect(queuedB).toEqual({ granted: false, position: 1, moved: [], stamp: expect.any(Number) });
    // c's run was created before b's: it goes ahead, and b moves to 2 (told with a later stamp).
    const queuedC = await claim(project, c);
    expect(queuedC).toEqual({ granted: false, position: 1, moved: [{ request: b, position: 2 }], stamp: expect.any(Number) });
    expect(stampOf(queuedC)).toBeGreaterThan(stampOf(queuedB));
    // A retried claim answers the same and moves nobody again.
    expect(await claim(project, c)).toMatchObject({ granted: false, position: 1, moved: [] });
    expect(await claim(project, a)).toEqual({ granted: true });
    // Another project is free.
    expect(await claim(`${project}-other`, request('d', 4))).toMatchObject({ granted: true });

    // The holder leaves: the first in line holds it, in the same transaction, and the rest move up.
    const handover = await leaveProjectSlot(handle.db, { projectId: project }, { requestId: a.requestId });
    expect(handover).toEqual({
      granted: [{ slot: { tenantId: 'default', projectId: project }, request: c }],
      moved: [{ request: b, position: 1 }],
      stamp: expect.any(Number),
    });
    expect(handover.stamp).toBeGreaterThan(stampOf(queuedC));
    expect(await holderOf(project)).toBe(c.requesterId);
    expect(await claim(project, c)).toEqual({ granted: true });
    // Leaving again changes nothing.
    expect(await leaveProjectSlot(handle.db, { projectId: project }, { requestId: a.requestId })).toMatchObject({ granted: [], moved: [] });
    // c was handed the slot, not yet told: once it is a while old, the maintenance scan tells it (again); once told, not.
    const untold = async () => (await untoldGrants(handle.db, -60_000)).filter((g) => g.slot.projectId === project);
    expect(await untold()).toEqual([{ slot: { tenantId: 'default', projectId: project }, request: c }]);
    expect(await untoldGrants(handle.db, 60_000)).not.toContainEqual(expect.objectContaining({ request: c }));
    await markGrantTold(handle.db, { projectId: project }, c.requestId);
    expect(await untold()).toEqual([]);
  });

  it('frees what a closed workflow run held or asked for, and leaves the queue of a waiter that stops', async () => {
    const project = `p-${randomUUID()}`;
    const [a, b, c, d] = [request('a', 1), request('b', 2), request('c', 3), request('d', 4)];
    for (const r of [a, b, c, d]) await claim(project, r);
    // b stops while queued: c and d move up.
    expect(await leaveProjectSlot(handle.db, { projectId: project }, { requestId: b.requestId })).toMatchObject({
      granted: [],
      moved: [
        { request: c, position: 1 },
        { request: d, position: 2 },
      ],
    });
    // a's workflow run closed without releasing (terminated): c holds the slot.
    const closed = { requesterId: a.requesterId, requesterRunId: a.requesterRunId };
    expect(await leaveProjectSlot(handle.db, { projectId: project }, closed)).toMatchObject({
      granted: [{ request: c }],
      moved: [{ request: d, position: 1 }],
    });
    // The same workflow id in a later run (a reopened execution) is another requester.
    expect(await leaveProjectSlot(handle.db, { projectId: project }, { requesterId: c.requesterId, requesterRunId: 'another-run' })).toMatchObject({
      granted: [],
      moved: [],
    });
    expect(await holderOf(project)).toBe(c.requesterId);
  });

  it('a claim by an execution whose earlier request still holds the slot (its release failed) names that request', async () => {
    const project = `p-${randomUUID()}`;
    const first = request('a', 1);
    await claim(project, first);
    const again = { ...request('a', 2), requesterRunId: first.requesterRunId };
    expect(await claim(project, again)).toEqual({ heldBefore: first.requestId });
  });

  it('the first in line has a long-held slot checked (its holder asked whether it still holds it)', async () => {
    const project = `p-${randomUUID()}`;
    const [a, b, c] = [request('a', 1), request('b', 2), request('c', 3)];
    await claim(project, a);
    expect(await claim(project, b)).not.toHaveProperty('checkHolder');
    await handle.db.execute(sql`update project_slots set granted_at = now() - interval '2 minutes' where project_id = ${project}`);
    expect(await claim(project, b)).toMatchObject({ granted: false, position: 1, checkHolder: a });
    expect(await claim(project, c)).not.toHaveProperty('checkHolder');
  });

  it("holds a tenant's caps: beyond them claims wait, first come first served, and start as others leave", async () => {
    const tenantId = `capped-${randomUUID()}`;
    await ensureTenant(handle.db, tenantId);
    await handle.db.update(tenants).set({ maxRunning: 2, maxRunningPerUser: 1 }).where(eq(tenants.id, tenantId));
    const at = (projectId: string) => ({ tenantId, projectId });
    const [a1, b1, a2, c1, b2] = [request('a1', 1), request('b1', 2), request('a2', 3), request('c1', 4), request('b2', 5)];
    expect(await claimProjectSlot(handle.db, at('p1'), a1, 'ann')).toEqual({ granted: true });
    expect(await claimProjectSlot(handle.db, at('p2'), b1, 'bob')).toEqual({ granted: true });
    // ann is at her cap; then the tenant is: the others wait in order, each told its place.
    expect(await claimProjectSlot(handle.db, at('p3'), a2, 'ann')).toMatchObject({ granted: false, position: 1 });
    expect(await claimProjectSlot(handle.db, at('p4'), c1, 'cat')).toMatchObject({ granted: false, position: 2 });
    expect(await claimProjectSlot(handle.db, at('p5'), b2, 'bob')).toMatchObject({ granted: false, position: 3 });
    // bob leaves: ann is still at her cap, so cat (next in line who may start) gets the room.
    const first = await leaveProjectSlot(handle.db, at('p2'), { requestId: b1.requestId });
    expect(first.granted.map((g) => g.request.requesterId)).toEqual([c1.requesterId]);
    expect(first.moved).toEqual([{ request: b2, position: 2 }]);
    // ann's first leaves: her second starts, and bob's waits for room in the tenant.
    const second = await leaveProjectSlot(handle.db, at('p1'), { requestId: a1.requestId });
    expect(second.granted.map((g) => g.request.requesterId)).toEqual([a2.requesterId]);
    expect(second.moved).toEqual([{ request: b2, position: 1 }]);
    const third = await leaveProjectSlot(handle.db, at('p4'), { requestId: c1.requestId });
    expect(third.granted).toEqual([{ slot: at('p5'), request: b2 }]);
    for (const [p, r] of [
      ['p3', a2],
      ['p5', b2],
    ] as const)
      await leaveProjectSlot(handle.db, at(p), { requestId: r.requestId });
    expect(await projectSlotState(handle.db, at('p5'))).toEqual({ holder: null, queue: [] });
  });

  it('a long queue: each change tells at most the first POSITIONS_TOLD their place, and a claim asked again answers the true one', async () => {
    const tenantId = `long-${randomUUID()}`;
    await ensureTenant(handle.db, tenantId);
    await handle.db.update(tenants).set({ maxRunning: 1 }).where(eq(tenants.id, tenantId));
    const at = (projectId: string) => ({ tenantId, projectId });
    const holder = request('holder', 0);
    expect(await claimProjectSlot(handle.db, at('p-holder'), holder, 'ann')).toEqual({ granted: true });
    const count = POSITIONS_TOLD + 30;
    const waiters = Array.from({ length: count }, (_, i) => request(`w${i}`, 10 + i));
    for (const [i, w] of waiters.entries()) expect(await claimProjectSlot(handle.db, at(`p${i}`), w, 'ann')).toMatchObject({ position: i + 1 });
    // One created before them all moves every one down, but only the first POSITIONS_TOLD are told.
    const early = request('early', 5);
    const queued = await claimProjectSlot(handle.db, at('p-early'), early, 'ann');
    expect(queued).toMatchObject({ granted: false, position: 1 });
    const moved = (queued as { moved: { request: SlotRequest; position: number }[] }).moved;
    expect(moved.map((m) => [m.request.requestId, m.position])).toEqual(waiters.slice(0, POSITIONS_TOLD).map((w, i) => [w.requestId, i + 2]));
    // The holder leaves: the earliest starts, and the first POSITIONS_TOLD of the rest move up.
    const handover = await leaveProjectSlot(handle.db, at('p-holder'), { requestId: holder.requestId });
    expect(handover.granted).toEqual([{ slot: at('p-early'), request: early }]);
    expect(handover.moved.map((m) => [m.request.requestId, m.position])).toEqual(
      waiters.slice(0, POSITIONS_TOLD).map((w, i) => [w.requestId, i + 1]),
    );
    // The last one, told nothing, learns its place when it asks again.
    expect(await claimProjectSlot(handle.db, at(`p${count - 1}`), waiters[count - 1]!, 'ann')).toMatchObject({ position: count, moved: [] });
    // A project's line: behind its holder, each told its place there.
    const line = [request('l0', 200), request('l1', 201), request('l2', 202)];
    for (const r of line) await claimProjectSlot(handle.db, at('p-early'), r, 'bob');
    const first = await leaveProjectSlot(handle.db, at('p-early'), { requestId: early.requestId });
    expect(first.granted).toEqual([{ slot: at('p0'), request: waiters[0] }]);
    // p-early is free and the tenant full: its line joins the line for the cap, behind the others, each told its place.
    expect(first.moved.filter((m) => m.request.requesterId.startsWith('execution-l'))).toEqual(
      line.map((r, i) => ({ request: r, position: count + i })),
    );
    expect(await claimProjectSlot(handle.db, at('p-early'), line[0]!, 'bob')).toMatchObject({ position: count });
  });

  it('raised caps: the room they make goes to those waiting for it, first come first served', async () => {
    const tenantId = `raised-${randomUUID()}`;
    await ensureTenant(handle.db, tenantId);
    await handle.db.update(tenants).set({ maxRunning: 1 }).where(eq(tenants.id, tenantId));
    const at = (projectId: string) => ({ tenantId, projectId });
    const [a, b, c] = [request('a', 1), request('b', 2), request('c', 3)];
    expect(await claimProjectSlot(handle.db, at('p1'), a, 'ann')).toEqual({ granted: true });
    expect(await claimProjectSlot(handle.db, at('p2'), b, 'bob')).toMatchObject({ granted: false, position: 1 });
    expect(await claimProjectSlot(handle.db, at('p3'), c, 'cat')).toMatchObject({ granted: false, position: 2 });
    expect(await handOutRoom(handle.db, tenantId)).toMatchObject({ granted: [], moved: [] });
    await handle.db.update(tenants).set({ maxRunning: 2 }).where(eq(tenants.id, tenantId));
    expect(await handOutRoom(handle.db, tenantId)).toMatchObject({ granted: [{ slot: at('p2'), request: b }], moved: [{ request: c, position: 1 }] });
    expect(await claimProjectSlot(handle.db, at('p2'), b, 'bob')).toEqual({ granted: true });
  });

  it('many claims at once: exactly one holds the slot, nobody is lost, and it is handed over in creation order', async () => {
    const project = `p-${randomUUID()}`;
    const requests = Array.from({ length: 20 }, (_, i) => request(`e${i}`, 20 - i));
    const answers = await Promise.all(requests.map((r) => claim(project, r)));
    expect(answers.filter((a) => 'granted' in a && a.granted)).toHaveLength(1);
    const order: string[] = [];
    for (;;) {
      const holder = (await projectSlotState(handle.db, { projectId: project })).holder;
      if (!holder) break;
      order.push(holder.requesterId);
      // Leaves as holders and waiters interleave with new claims elsewhere: no deadlock, nothing lost.
      await Promise.all([
        leaveProjectSlot(handle.db, { projectId: project }, { requestId: holder.requestId }),
        claim(`${project}-${order.length}`, request('x', 0)),
      ]);
    }
    expect(order).toHaveLength(20);
    const waitersInOrder = requests
      .filter((r) => r.requesterId !== order[0])
      .sort((x, y) => x.requestedAt.localeCompare(y.requestedAt))
      .map((r) => r.requesterId);
    expect(order.slice(1)).toEqual(waitersInOrder);
    expect(await projectSlotState(handle.db, { projectId: project })).toEqual({ holder: null, queue: [] });
  });
});
