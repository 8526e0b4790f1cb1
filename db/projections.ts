import { and, eq, inArray } from 'drizzle-orm';
import { ACCESS_EVENT_TYPES, type AccessEventType, COMMENT_EVENT_TYPES, type CommentEventType } from '../common/access-events.ts';
import type { NewEvent } from '../common/events.ts';
import { EXECUTION_ENDED_TYPES, RUN_STATUS_AFTER } from '../common/status-events.ts';
import { isTerminal } from '../common/statuses.ts';
import { applyAccessChange, applyComment } from './access-projections.ts';
import type { Database } from './client.ts';
import { executions, messages, runs } from './schema.ts';
import { DEFAULT_TENANT_ID } from './tenants.ts';

export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * Run events that change no projection here: their run's counters (model steps, tokens, cost, tool
 * calls) are added by the statement that inserts them (db/event-insert.ts), for every event type.
 */
export const PROJECTED_BY_COUNTERS_ONLY: ReadonlySet<string> = new Set([
  'model.text_delta',
  'model.reasoning_delta',
  'model.step_completed',
  'tool.call_started',
  'tool.call_completed',
]);

/**
 * Updates the executions, runs and messages projections for a new event, inside the event's
 * transaction (its run's counters excepted: see PROJECTED_BY_COUNTERS_ONLY). Returns the global run
 * number when the event belongs to a run.
 */
export async function applyProjection(tx: Transaction, event: NewEvent): Promise<number | null> {
  if (event.runId && PROJECTED_BY_COUNTERS_ONLY.has(event.type)) return runNumber(tx, event.runId);
  const at = new Date(event.occurredAt);
  const payload = event.payload ?? {};

  if (event.type === 'execution.created') {
    await tx
      .insert(executions)
      .values({
        id: event.executionId,
        // An execution from before tenants is the default tenant's.
        tenantId: typeof payload.tenantId === 'string' ? payload.tenantId : DEFAULT_TENANT_ID,
        projectId: String(payload.projectId),
        ownerId: String(payload.ownerId),
        agentId: (payload.agentId as string | undefined) ?? null,
        prompt: String(payload.prompt),
        planMode: String(payload.planMode),
        model: payload.model ?? { provider: 'demo', model: 'demo' },
        ticket: (payload.ticket as string | undefined) ?? null,
        targetType: (payload.target as { type?: string } | undefined)?.type ?? null,
        targetId: (payload.target as { id?: string } | undefined)?.id ?? null,
        background: payload.background === true,
        budgets: payload.budgets ?? null,
        approvalTimeoutMs: (payload.approvalTimeoutMs as number | undefined) ?? 86_400_000,
        status: 'pending',
        createdAt: at,
        updatedAt: at,
      })
      .onConflictDoNothing();
    await addMessage(tx, event, 1, 'user', String(payload.prompt));
    return null;
  }
  if ((EXECUTION_ENDED_TYPES as readonly string[]).includes(event.type)) {
    // An operator ended the execution workflow itself: the execution is cancelled, whatever its runs did.
    await tx
      .update(executions)
      .set({ status: 'cancelled', updatedAt: at, pendingPlan: null, pendingToolCallId: null, queuePosition: null })
      .where(eq(executions.id, event.executionId));
    return null;
  }
  if (ACCESS_EVENT_TYPES.includes(event.type as AccessEventType)) {
    await applyAccessChange(tx, event, at);
    return null;
  }
  if (COMMENT_EVENT_TYPES.includes(event.type as CommentEventType)) {
    await applyComment(tx, event, at);
    return null;
  }
  if (event.type === 'execution.archived' || event.type === 'execution.unarchived') {
    const archivedAt = event.type === 'execution.archived' ? at : null;
    await tx.update(executions).set({ archivedAt, updatedAt: at }).where(eq(executions.id, event.executionId));
    return null;
  }
  if (!event.runId) return null;

  // Queue reports are written by the execution while its run waits; one that lands after the run has
  // started (they race with the grant) must not put it back in the queue.
  if (event.type === 'run.queued' || event.type === 'run.queue_position') {
    const waiting = inArray(runs.status, ['pending', 'queued']);
    const [run] = await tx
      .update(runs)
      .set({ status: 'queued' })
      .where(and(eq(runs.id, event.runId), waiting))
      .returning({ number: runs.number });
    if (!run) return runNumber(tx, event.runId);
    await tx
      .update(executions)
      .set({ status: 'queued', queuePosition: Number(payload.position) || null, updatedAt: at, pendingPlan: null, pendingToolCallId: null })
      .where(and(eq(executions.id, event.executionId), eq(executions.currentRunId, event.runId)));
    return run.number;
  }

  const status = RUN_STATUS_AFTER[event.type];
  if (event.type === 'run.created') {
    await tx
      .insert(runs)
      .values({
        id: event.runId,
        executionId: event.executionId,
        index: Number(payload.index),
        trigger: String(payload.trigger),
        turnNumber: event.turnNumber ?? 1,
        attempt: event.attempt ?? 1,
        status: 'pending',
        startedAt: at,
      })
      .onConflictDoNothing();
    if (typeof payload.message === 'string') await addMessage(tx, event, event.turnNumber ?? 1, 'user', payload.message);
  }
  if (status) {
    const ended = isTerminal(status);
    await tx
      .update(runs)
      .set({
        status,
        ...(ended && {
          endedAt: at,
          summary: (payload.summary as string | undefined) ?? null,
          error: payload.error ?? null,
          cancelReason: (payload.reason as string | undefined) ?? null,
        }),
      })
      .where(eq(runs.id, event.runId));
    await tx
      .update(executions)
      .set({
        status,
        updatedAt: at,
        // What waits for a person belongs to one status: the plan to awaiting_approval, the tool call
        // to waiting_permission. Any other status clears them (and the queue position).
        pendingPlan:
          event.type === 'plan.proposed' ? { runId: event.runId, version: Number(payload.version), text: String(payload.text ?? '') } : null,
        pendingToolCallId: event.type === 'tool.permission_requested' ? String(payload.callId) : null,
        queuePosition: null,
        // A new run is new work: it never runs archived, even if an archive raced with its request.
        ...(event.type === 'run.created' && { currentRunId: event.runId, archivedAt: null }),
      })
      .where(eq(executions.id, event.executionId));
  }
  if (event.type === 'run.completed') await addMessage(tx, event, event.turnNumber ?? 1, 'assistant', String(payload.summary));

  return runNumber(tx, event.runId);
}

async function runNumber(tx: Transaction, runId: string): Promise<number | null> {
  const known = knownRunNumber(runId);
  if (known !== undefined) return known;
  const [run] = await tx.select({ number: runs.number }).from(runs).where(eq(runs.id, runId));
  return run?.number ?? null;
}

/**
 * Run numbers of committed runs, which never change: each event of a run then needs no lookup of
 * its run. Only numbers seen committed are kept (one read inside a transaction that rolls back could
 * belong to a run that was never stored); the oldest are forgotten past RUN_NUMBERS_KEPT.
 */
const committedRunNumbers = new Map<string, number>();
const RUN_NUMBERS_KEPT = 10_000;

/** The run's number, when an event of it has been seen committed. */
export function knownRunNumber(runId: string): number | undefined {
  return committedRunNumbers.get(runId);
}

/** Remembers the run numbers of committed events. */
export function rememberRunNumbers(stored: ReadonlyArray<{ runId: string | null; runNumber: number | null }>): void {
  for (const { runId, runNumber } of stored) {
    if (!runId || runNumber === null || committedRunNumbers.has(runId)) continue;
    committedRunNumbers.set(runId, runNumber);
    if (committedRunNumbers.size > RUN_NUMBERS_KEPT) committedRunNumbers.delete(committedRunNumbers.keys().next().value!);
  }
}

function addMessage(tx: Transaction, event: NewEvent, turnNumber: number, role: 'user' | 'assistant', content: string) {
  return tx
    .insert(messages)
    .values({ id: event.eventId, executionId: event.executionId, turnNumber, role, content, createdAt: new Date(event.occurredAt) })
    .onConflictDoNothing();
}
