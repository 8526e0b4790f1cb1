import { eq } from 'drizzle-orm';
import type { NewEvent } from '../common/events.ts';
import type { Status } from '../common/statuses.ts';
import type { Database } from './client.ts';
import { executions, runs } from './schema.ts';

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** The events that end a run, and the status each ends it in; the execution's status follows its current run's. */
const RUN_OUTCOMES: Record<string, Status> = {
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
};

/**
 * Updates the executions and runs projections for a new event, inside the event's transaction.
 * Returns the global run number when the event belongs to a run.
 */
export async function applyProjection(tx: Transaction, event: NewEvent): Promise<number | null> {
  const at = new Date(event.occurredAt);
  const payload = event.payload ?? {};

  if (event.type === 'execution.created') {
    await tx
      .insert(executions)
      .values({
        id: event.executionId,
        projectId: String(payload.projectId),
        ownerId: String(payload.ownerId),
        agentId: (payload.agentId as string | undefined) ?? null,
        prompt: String(payload.prompt),
        planMode: String(payload.planMode),
        status: 'pending',
        createdAt: at,
        updatedAt: at,
      })
      .onConflictDoNothing();
    return null;
  }
  if (!event.runId) return null;

  const outcome = RUN_OUTCOMES[event.type];
  if (event.type === 'run.started') {
    await tx
      .insert(runs)
      .values({
        id: event.runId,
        executionId: event.executionId,
        index: Number(payload.index),
        trigger: String(payload.trigger),
        turnNumber: event.turnNumber ?? 1,
        attempt: event.attempt ?? 1,
        status: 'running',
        startedAt: at,
      })
      .onConflictDoNothing();
    await tx
      .update(executions)
      .set({ status: 'running', currentRunId: event.runId, updatedAt: at })
      .where(eq(executions.id, event.executionId));
  } else if (outcome) {
    await tx
      .update(runs)
      .set({
        status: outcome,
        endedAt: at,
        summary: (payload.summary as string | undefined) ?? null,
        error: payload.error ?? null,
      })
      .where(eq(runs.id, event.runId));
    await tx.update(executions).set({ status: outcome, updatedAt: at }).where(eq(executions.id, event.executionId));
  }
  const [run] = await tx.select({ number: runs.number }).from(runs).where(eq(runs.id, event.runId));
  return run?.number ?? null;
}
