import { randomUUID } from 'node:crypto';
import {
  type Client,
  isGrpcServiceError,
  type WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { createClosedExecutionActivities } from '../activities/closed-executions.ts';
import type { Database } from '../db/client.ts';
import { type DecisionBase, type DecisionResult, executionWorkflowId, runWorkflowId } from '../workflows/definitions.ts';
import type { executionWorkflow } from '../workflows/execution.ts';
import { ApiError } from './errors.ts';

/** How long a decision waits for a worker to judge it before the API answers 503 worker_unavailable. */
export const DECISION_DEADLINE_MS = 10_000;
/** The decision itself expires this much earlier, so one judged after the API gave up changes nothing. */
const DEADLINE_MARGIN_MS = 2_000;

/** How long the API asks again, after the deadline, whether a decision was accepted at its last moment. */
const RE_ASK_MS = 5_000;

/** How long the API waits, once a decision is accepted, for its handler to finish passing it on. */
const RESULT_WAIT_MS = 30_000;

/**
 * Sends a decision to an execution's workflow as a Workflow Update; with `run`, to that run's
 * workflow, which judges what it waits for (a plan, a tool call) itself: one workflow task fewer
 * between a person's approval and the work it lets go on. Until the workflow accepts it,
 * the deadline holds: a refusal is a 409 naming why (the workflow's validator decides, with the code
 * it gives), no worker in time a 503 `worker_unavailable` (the decision then expires unheard: nothing
 * changes). Once accepted it will happen, so the API then waits for its result without that deadline
 * (`accepted` when the handler takes long). With `start`, a closed workflow is reopened
 * (update-with-start). An execution workflow that has closed without recording it (an operator
 * terminated it) is recorded now and `closed` is answered (also for a run that went with it); a run
 * that has just ended on its own answers `ended`.
 */
export async function decide<Arg extends DecisionBase>(
  deps: { db: Database; client: Client; decisionDeadlineMs?: number },
  executionId: string,
  update: UpdateDefinition<DecisionResult, [Arg]>,
  arg: Omit<Arg, 'deadline'>,
  target: { start?: WithStartWorkflowOperation<typeof executionWorkflow>; run?: number } = {},
): Promise<DecisionResult | 'accepted' | 'closed' | 'ended'> {
  const { start, run } = target;
  const waitMs = deps.decisionDeadlineMs ?? DECISION_DEADLINE_MS;
  const deadline = Date.now() + waitMs;
  const args: [Arg] = [{ ...arg, deadline: new Date(deadline - Math.min(DEADLINE_MARGIN_MS, waitMs / 2)).toISOString() } as Arg];
  const handle = deps.client.workflow.getHandle(run ? runWorkflowId(executionId, run) : executionWorkflowId(executionId));
  // One id for this decision: asked again under it, Temporal answers with what became of it.
  const updateId = randomUUID();
  const send = (until: number) =>
    deps.client.connection.withDeadline(until, () =>
      start
        ? deps.client.workflow.startUpdateWithStart(update, { args, updateId, waitForStage: 'ACCEPTED', startWorkflowOperation: start })
        : handle.startUpdate(update, { args, updateId, waitForStage: 'ACCEPTED' }),
    );
  try {
    const accepted = await send(deadline).catch((err) => {
      // Accepted just before it expired, on a busy worker, the answer may come after the deadline: ask
      // once more. One not judged by now is judged expired, so "nothing changed" below is true.
      if (!timedOut(err)) throw err;
      return send(Date.now() + Math.min(RE_ASK_MS, waitMs));
    });
    try {
      return await deps.client.connection.withDeadline(Date.now() + RESULT_WAIT_MS, () => accepted.result());
    } catch (err) {
      // A refusal judged after acceptance (a reopened execution judges once it has loaded) is still a refusal.
      if (err instanceof WorkflowUpdateFailedError) throw err;
      return 'accepted';
    }
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      if (err.cause.type === 'expired') {
        throw new ApiError(
          503,
          'worker_unavailable',
          `${err.cause.message}: no worker judged it in time (or the clocks of this API and Temporal disagree); nothing was changed`,
        );
      }
      throw new ApiError(err.cause.type === 'invalid_request' ? 400 : 409, err.cause.type ?? 'invalid_state', err.cause.message);
    }
    if (err instanceof WorkflowNotFoundError) {
      // A run that has closed: it ended on its own, or went with its execution (terminated by an operator).
      const execution = run ? deps.client.workflow.getHandle(executionWorkflowId(executionId)) : handle;
      const closed = await execution.describe().catch(() => undefined);
      if (run && (!closed || closed.status.name === 'RUNNING')) return 'ended';
      if (closed) await createClosedExecutionActivities(deps.db, deps.client).recordClosedExecution(closed.workflowId, closed.runId);
      return 'closed';
    }
    if (timedOut(err)) throw workerUnavailable(waitMs);
    throw new ApiError(503, 'temporal_unavailable', `could not reach the execution's workflow: ${(err as Error).message}`);
  }
}

const workerUnavailable = (waitMs: number) =>
  new ApiError(503, 'worker_unavailable', `no worker answered within ${waitMs / 1000} s; nothing was changed, try again`);

function timedOut(err: unknown): boolean {
  return err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || (isGrpcServiceError(err) && err.code === 4) || isDeadline(err);
}

/** A gRPC deadline, however the client wrapped it. */
function isDeadline(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (e.code === 4 || /deadline/i.test(String((e as Error).message))) return true;
  }
  return false;
}
