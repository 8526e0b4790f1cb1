import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectSlotState } from '../../db/project-slots.ts';
import { projectSlots } from '../../db/schema.ts';
import { executionWorkflowId } from '../../workflows/definitions.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// One execution at a time per project, FIFO, with queue positions; other projects in parallel.
// Plan mode `always` holds the slot across the approval wait, which makes the order easy to drive.
describe('queueing per project', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.close());

  const create = (projectId: string, prompt: string, planMode = 'always') => stack.createExecution({ projectId, prompt, planMode });
  const get = async (id: string) => (await stack.api(`/v1/executions/${id}`)).json();
  const until = (what: string, id: string, check: (e: any) => boolean) =>
    waitFor(what, async () => {
      const body = await get(id);
      return check(body) ? body : undefined;
    });
  const approve = (id: string) => stack.api(`/v1/executions/${id}/plan/approve`, { method: 'POST' });

  it('runs three executions of a project strictly one at a time, FIFO, reporting positions, while another project runs', async () => {
    const project = `queue-${Date.now()}`;
    const a = await create(project, 'first');
    await until('A to hold the slot', a, (e) => e.status === 'awaiting_approval');
    const b = await create(project, 'second');
    await until('B to be queued first', b, (e) => e.status === 'queued' && e.queuePosition === 1);
    const c = await create(project, 'third');
    const queuedC = await until('C to be queued second', c, (e) => e.status === 'queued' && e.queuePosition === 2);
    expect(queuedC.currentRun.status).toBe('queued');

    // Another project is not held up by this queue.
    const other = await create(`${project}-other`, 'elsewhere', 'never');
    await stack.waitForStatus(other, 'completed');
    expect((await get(b)).status).toBe('queued');

    expect((await approve(a)).status).toBe(200);
    await stack.waitForStatus(a, 'completed');
    await until('B to take the slot', b, (e) => e.status === 'awaiting_approval');
    await until('C to move up', c, (e) => e.status === 'queued' && e.queuePosition === 1);

    await approve(b);
    await stack.waitForStatus(b, 'completed');
    await until('C to take the slot', c, (e) => e.status === 'awaiting_approval');
    await approve(c);
    await stack.waitForStatus(c, 'completed');

    // Strictly one at a time: each run started after the previous one ended.
    const [runA, runB, runC] = await Promise.all([a, b, c].map(async (id) => (await get(id)).runs[0]));
    expect(Date.parse(runB.startedAt)).toBeLessThan(Date.parse(runA.endedAt)); // created (pending) while A ran...
    const started = async (id: string) =>
      ((await (await stack.api(`/v1/executions/${id}/events`)).json()).items as any[]).find((e) => e.type === 'run.started').occurredAt;
    expect(Date.parse(await started(b))).toBeGreaterThanOrEqual(Date.parse(runA.endedAt)); // ...but started after it ended
    expect(Date.parse(await started(c))).toBeGreaterThanOrEqual(Date.parse(runB.endedAt));
    expect(runC.status).toBe('completed');

    const queued = ((await (await stack.api(`/v1/executions/${c}/events`)).json()).items as any[]).find((e) => e.type === 'run.queued');
    expect(queued.payload).toEqual({ position: 2 });
  });

  it('frees the slot of a holder terminated by an operator: the next in line gets it within 60 s', async () => {
    const project = `queue-terminate-${Date.now()}`;
    const holder = await create(project, 'will be terminated');
    await until('the holder to hold the slot', holder, (e) => e.status === 'awaiting_approval');
    const next = await create(project, 'next in line');
    await until('the next to be queued', next, (e) => e.status === 'queued');

    // The slot is a row in Postgres: holding it costs the holder no timer, and nothing checks on it.
    const slots = await projectSlotState(stack.database.db, { tenantId: stack.tenantId, projectId: project });
    expect(slots.holder?.requesterId).toBe(executionWorkflowId(holder));
    expect(slots.queue.map((r) => r.requesterId)).toEqual([executionWorkflowId(next)]);
    const holderHistory = await stack.env.client.workflow.getHandle(executionWorkflowId(holder)).fetchHistory();
    expect(holderHistory.events!.some((e) => e.timerStartedEventAttributes)).toBe(false);

    await stack.env.client.workflow.getHandle(executionWorkflowId(holder)).terminate('operator test');
    await waitFor('the next execution to get the slot', async () => ((await get(next)).status === 'awaiting_approval' ? true : undefined), 60_000);
    const after = await projectSlotState(stack.database.db, { tenantId: stack.tenantId, projectId: project });
    expect(after.holder?.requesterId).toBe(executionWorkflowId(next));
    expect(after.queue).toEqual([]);

    // The terminated execution ran no code of its own at the end; its end is recorded for it.
    const terminated = await get(holder);
    expect(terminated.status).toBe('cancelled');
    expect(terminated.runs[0]).toMatchObject({ status: 'cancelled', cancelReason: 'operator' });
    const audit = ((await (await stack.api(`/v1/executions/${holder}/events`)).json()).items as any[]).slice(-2);
    expect(audit.map((e) => e.type)).toEqual(['run.cancelled', 'execution.terminated']);
    expect(audit[1]).toMatchObject({ actor: { kind: 'operator', id: 'temporal' }, payload: { temporalStatus: 'TERMINATED' } });
  }, 90_000);

  it('a grant whose news was lost (its release failed after the commit) reaches its holder by the maintenance scan', async () => {
    const { db } = stack.database;
    const project = `queue-untold-${Date.now()}`;
    const holder = await create(project, 'holds the slot');
    await until('the holder to hold the slot', holder, (e) => e.status === 'awaiting_approval');
    const next = await create(project, 'next in line');
    await until('the next to be queued', next, (e) => e.status === 'queued');
    // As a release would leave it that committed the hand-over and failed before it signalled anyone.
    await db.transaction(async (tx) => {
      await tx.execute(sql`delete from project_slots where tenant_id = ${stack.tenantId} and project_id = ${project}`);
      await tx.execute(sql`insert into project_slots (tenant_id, project_id, request_id, owner_id, workflow_id, workflow_run_id, requested_at, granted_at, told_at)
        select tenant_id, project_id, request_id, owner_id, workflow_id, workflow_run_id, requested_at, now() - interval '1 minute', null
        from project_slot_waiters where tenant_id = ${stack.tenantId} and project_id = ${project}`);
      await tx.execute(sql`delete from project_slot_waiters where tenant_id = ${stack.tenantId} and project_id = ${project}`);
    });
    // Told by the scan (every 2 s here), well before the waiter would ask again (a minute after it queued).
    await waitFor('the next to hear of its slot', async () => ((await get(next)).status === 'awaiting_approval' ? true : undefined), 30_000);
    const [row] = await db.select({ toldAt: projectSlots.toldAt }).from(projectSlots).where(eq(projectSlots.projectId, project));
    expect(row?.toldAt).toBeInstanceOf(Date);
    for (const id of [holder, next]) expect((await stack.post(`/v1/executions/${id}/cancel`)).status).toBe(200);
  }, 90_000);

  it('a slot left held by a workflow that closed, or by one that no longer wants it, goes to the first in line', async () => {
    const { db } = stack.database;
    const hold = (project: string, workflowId: string, runId: string) =>
      db.execute(sql`insert into project_slots (tenant_id, project_id, request_id, workflow_id, workflow_run_id, requested_at, granted_at)
        values (${stack.tenantId}, ${project}, ${`stale-${project}`}, ${workflowId}, ${runId}, now(), now() - interval '2 minutes')`);
    // A holder whose workflow is gone (it closed without releasing, and no scan reported it).
    const gone = `queue-gone-${Date.now()}`;
    await hold(gone, 'execution-never-was', randomUUID());
    const first = await create(gone, 'first in line');
    await until('the first in line to get the slot of a holder that is gone', first, (e) => e.status === 'awaiting_approval');
    // A holder that is alive but holds the slot for a request it gave up (its release failed).
    const live = `queue-live-${Date.now()}`;
    const idle = await create(live, 'done', 'never');
    await stack.waitForStatus(idle, 'completed');
    await waitFor('the slot to be released', async () =>
      (await projectSlotState(db, { tenantId: stack.tenantId, projectId: live })).holder === null ? true : undefined,
    );
    const { runId } = await stack.env.client.workflow.getHandle(executionWorkflowId(idle)).describe();
    await hold(live, executionWorkflowId(idle), runId);
    const next = await create(live, 'next in line');
    await until('the next to get the slot the holder gave back', next, (e) => e.status === 'awaiting_approval');
    expect((await projectSlotState(db, { tenantId: stack.tenantId, projectId: live })).holder?.requesterId).toBe(executionWorkflowId(next));
  });

  it('frees the slot and leaves the queue when a queued execution is stopped', async () => {
    const project = `queue-stop-${Date.now()}`;
    const holder = await create(project, 'holds');
    await until('the holder to hold the slot', holder, (e) => e.status === 'awaiting_approval');
    const stopped = await create(project, 'stopped while queued');
    const last = await create(project, 'last');
    await until('the last to be second', last, (e) => e.status === 'queued' && e.queuePosition === 2);

    const cancel = await stack.api(`/v1/executions/${stopped}/cancel?wait=true`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    expect((await cancel.json()).runs[0]).toMatchObject({ status: 'cancelled', cancelReason: 'stopped' });
    await until('the last to move up', last, (e) => e.status === 'queued' && e.queuePosition === 1);
    await approve(holder);
    await until('the last to get the slot', last, (e) => e.status === 'awaiting_approval');
  });
});
