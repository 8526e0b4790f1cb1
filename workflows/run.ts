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
  sleep,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { BudgetName, Budgets } from '../common/budgets.ts';
import type { Status } from '../common/statuses.ts';
import {
  type PlanDecision,
  type PlanDecisionKind,
  planDecisionSignal,
  type RunError,
  type RunInput,
  type RunOutcome,
  runStatusSignal,
  type ToolDecision,
  toolDecisionSignal,
} from './definitions.ts';
import { recordEvent } from './record-event.ts';

// Model steps and tools: transient failures (a provider's 429 or 5xx, a lost worker) are retried with
// backoff; permanent ones are non-retryable ApplicationFailures from the activity. Heartbeats let a
// stop reach a running step or command within seconds, and WAIT_CANCELLATION_COMPLETED means a
// stopped run ends only once its activity has stopped.
const agent = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '5 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});
/**
 * Bookkeeping activities (plans, decisions, results) that do not heartbeat: each attempt gets a minute,
 * which finishRun's diff of the workspace also has to fit in; they retry until they succeed.
 */
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * One bounded attempt at an execution's work, as child workflow `execution-<executionId>-run-<index>`:
 * prepare the workspace and prompt, plan gate when the plan mode asks for one, then the agent loop
 * (a model step activity, then one activity per tool call) until the model answers without calling a
 * tool, or a budget is spent. Transcripts, tool inputs and outputs stay in Postgres: this workflow
 * handles only their ids.
 */
export async function runWorkflow(input: RunInput): Promise<RunOutcome> {
  const { executionId, runId, turnNumber, attempt, agentId, model } = input;
  const ids = { executionId, runId, turnNumber, attempt };
  const call = () => ({ ...ids, agentId, model, eventId: uuid4() });
  const parent = getExternalWorkflowHandle(workflowInfo().parent!.workflowId);
  const report = (status: Status, extra: { planVersion?: number; callId?: string } = {}) =>
    parent.signal(runStatusSignal, { runId, status, ...extra });

  const planDecisions: Array<PlanDecision & { decision: PlanDecisionKind }> = [];
  setHandler(planDecisionSignal, (decision) => void planDecisions.push(decision));
  const toolDecisions: Array<ToolDecision & { decision: 'approve' | 'deny' }> = [];
  setHandler(toolDecisionSignal, (decision) => void toolDecisions.push(decision));

  let steps = 0;
  let costUsd = 0;
  /** Time spent working (model steps and tools); waiting for a person does not count. */
  let workingMs = 0;
  let budgets: Budgets | undefined;

  /**
   * Records how the run ended, with a summary (the agent's, or the system's when the agent could
   * not write one) and the files it changed. The execution hears of the outcome first, so that by
   * the time a client sees it in Postgres and acts on it (retry, follow-up), the execution knows.
   */
  const finish = async (outcome: RunOutcome): Promise<RunOutcome> => {
    const { summary } = await bookkeeping.finishRun.executeWithOptions({ summary: 'record results (files changed, summary, progress log)' }, [
      {
        ...ids,
        status: outcome.status,
        summary: outcome.status === 'completed' ? outcome.summary : undefined,
        error: outcome.status === 'failed' ? outcome.error : undefined,
        reason: outcome.status === 'cancelled' ? outcome.reason : undefined,
      },
    ]);
    await report(outcome.status);
    const details = outcome.status === 'failed' ? { error: outcome.error } : outcome.status === 'cancelled' ? { reason: outcome.reason } : {};
    await recordEvent({ ...ids, type: `run.${outcome.status}`, payload: { summary, ...details } });
    return outcome.status === 'completed' ? { ...outcome, summary } : outcome;
  };
  const budgetExceeded = (budget: BudgetName, detail: string) =>
    ApplicationFailure.create({ type: 'budget_exceeded', message: `${budget} budget exceeded: ${detail}`, nonRetryable: true, details: [budget] });

  /** Runs agent work within what is left of the time budget. */
  async function working<T>(fn: () => Promise<T>): Promise<T> {
    const limit = budgets!.maxDurationMs;
    const remaining = limit - workingMs;
    if (remaining <= 0) throw budgetExceeded('maxDurationMs', `worked ${workingMs} ms of ${limit} ms`);
    const started = Date.now();
    let timedOut = false;
    const work = new CancellationScope();
    const timer = new CancellationScope();
    timer
      .run(() => sleep(remaining))
      .then(() => {
        timedOut = true;
        work.cancel();
      })
      .catch(() => undefined); // the timer is cancelled when the work ends first
    try {
      return await work.run(fn);
    } catch (err) {
      if (timedOut && isCancellation(err)) throw budgetExceeded('maxDurationMs', `worked more than ${limit} ms`);
      throw err;
    } finally {
      timer.cancel();
      workingMs += Date.now() - started;
    }
  }

  /** Waits for a person's decision, up to the approval timeout; undefined when none came. */
  async function decision<T>(queue: T[]): Promise<T | undefined> {
    if (!(await condition(() => queue.length > 0, input.approvalTimeoutMs))) return undefined;
    return queue.shift();
  }

  /** A proposed plan waits for a decision. Returns true once approved, false to propose again, or the run's end. */
  async function decidePlan(version: number, answer: { callId?: string; step: number }): Promise<boolean | RunOutcome> {
    await report('awaiting_approval', { planVersion: version });
    const decided = await decision(planDecisions);
    if (!decided) return finish({ status: 'cancelled', reason: 'approval_timeout' });
    const { decision: kind, by, reason, feedback } = decided;
    if (kind === 'reject') {
      await recordEvent({ ...ids, type: 'plan.rejected', actor: by, payload: { version, reason } });
      return finish({ status: 'cancelled', reason: 'plan_rejected' });
    }
    const approved = kind === 'approve';
    await recordEvent({ ...ids, type: approved ? 'plan.approved' : 'plan.revision_requested', actor: by, payload: { version, feedback } });
    const text = approved ? 'Plan approved. Carry it out now.' : `Revise the plan: ${feedback}`;
    await bookkeeping.answerModel({ ...ids, ...answer, text });
    await report('running');
    return approved;
  }

  /** A tool call the agent's policy holds for a person: true to run it; false when denied (the model is told); or the run's end. */
  async function askPermission(callId: string): Promise<boolean | RunOutcome> {
    await bookkeeping.requestPermission({ ...ids, callId });
    await report('waiting_permission', { callId });
    const decided = await decision(toolDecisions);
    if (!decided) return finish({ status: 'cancelled', reason: 'approval_timeout' });
    await bookkeeping.decideToolCall({ ...ids, callId, decision: decided.decision, by: decided.by });
    await report('running');
    return decided.decision === 'approve';
  }

  try {
    // Still `pending` while the workspace is prepared; `running` once the agent can start.
    const setup = await agent.prepareRun.executeWithOptions({ summary: 'prepare workspace and prompt' }, [
      { ...call(), projectId: input.projectId, planMode: input.planMode, budgets: input.budgets },
    ]);
    await recordEvent({ ...ids, type: 'run.started', payload: { index: input.index, trigger: input.trigger } });
    await report('running');
    budgets = setup.budgets;
    let phase: 'plan' | 'work' = setup.planNeeded ? 'plan' : 'work';
    let planVersion = 0;

    for (;;) {
      if (steps >= budgets.maxSteps) throw budgetExceeded('maxSteps', `the run took ${steps} model steps`);
      const step = ++steps;
      const result = await working(() =>
        agent.modelStep.executeWithOptions({ summary: `${phase === 'plan' ? 'plan' : 'model'} step ${step}` }, [{ ...call(), step, phase }]),
      );
      if (result.costUsd !== null) costUsd += result.costUsd;
      if (budgets.maxCostUsd !== null && costUsd > budgets.maxCostUsd) {
        throw budgetExceeded('maxCostUsd', `spent $${costUsd.toFixed(4)} of $${budgets.maxCostUsd}`);
      }

      if (result.final !== undefined) {
        if (phase === 'work') return await finish({ status: 'completed', summary: result.final });
        // Planning, the model answered in text instead of calling propose_plan: that text is the plan.
        await bookkeeping.recordPlan({ ...ids, version: ++planVersion, step });
        const approved = await decidePlan(planVersion, { step });
        if (typeof approved === 'object') return approved;
        if (approved) phase = 'work';
        continue;
      }

      for (const { callId, tool } of result.toolCalls) {
        if (tool === 'propose_plan') {
          await bookkeeping.recordPlan({ ...ids, version: ++planVersion, step, callId });
          const approved = await decidePlan(planVersion, { step, callId });
          if (typeof approved === 'object') return approved;
          if (approved) phase = 'work';
          continue;
        }
        if (setup.needsApproval.includes(tool)) {
          const allowed = await askPermission(callId);
          if (typeof allowed === 'object') return allowed;
          if (!allowed) continue;
        }
        await working(() => agent.runTool.executeWithOptions({ summary: `${tool} (step ${step})` }, [{ ...call(), callId }]));
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      // Stopped: record it even though this workflow is being cancelled, then end as cancelled.
      await CancellationScope.nonCancellable(() => finish({ status: 'cancelled', reason: 'stopped' }));
      throw err;
    }
    if (!(err instanceof ActivityFailure || err instanceof ApplicationFailure)) throw err;
    return finish({ status: 'failed', error: describeFailure(err) });
  }
}

function describeFailure(failure: ActivityFailure | ApplicationFailure): RunError {
  const cause = failure instanceof ActivityFailure ? failure.cause : failure;
  if (cause instanceof ApplicationFailure) {
    const budget = cause.type === 'budget_exceeded' ? (cause.details?.[0] as string | undefined) : undefined;
    return { type: cause.type ?? 'error', message: cause.message, ...(budget && { budget }) };
  }
  return { type: cause?.name ?? 'error', message: cause?.message ?? failure.message };
}
