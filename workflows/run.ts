import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { Status } from '../common/statuses.ts';
import {
  type PlanDecision,
  type PlanDecisionKind,
  planDecisionSignal,
  type RunError,
  type RunInput,
  type RunOutcome,
  runStatusSignal,
} from './definitions.ts';
import { recordEvent } from './record-event.ts';

// Agent work: transient failures are retried with backoff; permanent ones are non-retryable
// ApplicationFailures from the activity. Heartbeats let a stop reach a running step within seconds,
// and WAIT_CANCELLATION_COMPLETED means a stopped run ends only once its activity has stopped.
const agent = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** A run never loops for ever: past this many steps it fails with budget_exceeded. */
const MAX_STEPS = 50;

/**
 * One bounded attempt at an execution's work, as child workflow `execution-<executionId>-run-<index>`:
 * plan gate when the plan mode asks for one, then agent steps until the agent is done.
 */
export async function runWorkflow(input: RunInput): Promise<RunOutcome> {
  const { executionId, runId, turnNumber, attempt, model } = input;
  const ids = { executionId, runId, turnNumber, attempt };
  const agentCall = () => ({ ...ids, model, eventId: uuid4() });
  const parent = getExternalWorkflowHandle(workflowInfo().parent!.workflowId);
  const report = (status: Status, planVersion?: number) => parent.signal(runStatusSignal, { runId, status, planVersion });

  const decisions: Array<PlanDecision & { decision: PlanDecisionKind }> = [];
  setHandler(planDecisionSignal, (decision) => void decisions.push(decision));

  /**
   * Records how the run ended. The execution hears of it first, so that by the time a client sees
   * the outcome in Postgres and acts on it (retry, follow-up), the execution knows the run is ending.
   */
  const finish = async (status: 'completed' | 'failed' | 'cancelled', payload: Record<string, unknown>) => {
    await report(status);
    await recordEvent({ ...ids, type: `run.${status}`, payload });
  };
  const cancel = async (reason: string): Promise<RunOutcome> => {
    await finish('cancelled', { reason });
    return { status: 'cancelled', reason };
  };

  /** Proposes plans until one is approved (undefined) or the run ends (its outcome). */
  async function planGate(): Promise<RunOutcome | undefined> {
    let feedback: string | undefined;
    for (let version = 1; ; version++) {
      await agent.proposePlan.executeWithOptions({ summary: `propose plan version ${version}` }, [{ ...agentCall(), version, feedback }]);
      await report('awaiting_approval', version);
      if (!(await condition(() => decisions.length > 0, input.approvalTimeoutMs))) return cancel('approval_timeout');
      const { decision, by, reason, feedback: revisionFeedback } = decisions.shift()!;
      if (decision === 'approve') {
        await recordEvent({ ...ids, type: 'plan.approved', actor: by, payload: { version } });
        await report('running');
        return undefined;
      }
      if (decision === 'reject') {
        await recordEvent({ ...ids, type: 'plan.rejected', actor: by, payload: { version, reason } });
        return cancel('plan_rejected');
      }
      // revise: the agent proposes the next version with this feedback.
      await recordEvent({ ...ids, type: 'plan.revision_requested', actor: by, payload: { version, feedback: revisionFeedback } });
      await report('running');
      feedback = revisionFeedback;
    }
  }

  try {
    await recordEvent({ ...ids, type: 'run.started', payload: { index: input.index, trigger: input.trigger } });
    await report('running');
    const planNeeded = input.planMode === 'always' || (input.planMode === 'auto' && (await agent.decidePlanNeeded({ ...ids, model })));
    if (planNeeded) {
      const ended = await planGate();
      if (ended) return ended;
    }
    for (let step = 1; step <= MAX_STEPS; step++) {
      const result = await agent.agentStep.executeWithOptions({ summary: `agent step ${step}` }, [{ ...agentCall(), step }]);
      if (result.done) {
        const summary = result.summary ?? 'The agent finished without a summary.';
        await finish('completed', { summary });
        return { status: 'completed', summary };
      }
    }
    throw ApplicationFailure.nonRetryable(`the run took more than ${MAX_STEPS} steps`, 'budget_exceeded');
  } catch (err) {
    if (isCancellation(err)) {
      // Stopped: record it even though this workflow is being cancelled, then end as cancelled.
      await CancellationScope.nonCancellable(() => finish('cancelled', { reason: 'stopped' }));
      throw err;
    }
    if (!(err instanceof ActivityFailure || err instanceof ApplicationFailure)) throw err;
    const error = describeFailure(err);
    await finish('failed', { error });
    return { status: 'failed', error };
  }
}

function describeFailure(failure: ActivityFailure | ApplicationFailure): RunError {
  const cause = failure instanceof ActivityFailure ? failure.cause : failure;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'error', message: cause.message };
  return { type: cause?.name ?? 'error', message: cause?.message ?? failure.message };
}
