import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  ContinueAsNew,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  sleep,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { PlanAnswer } from '../activities/plan-answers.ts';
import type { BudgetName, Budgets } from '../common/budgets.ts';
import { capText } from '../common/cap-text.ts';
import type { Actor } from '../common/events.ts';
import { runEndingSentence } from '../common/run-ending.ts';
import type { Status } from '../common/statuses.ts';
import { type DecisionContext, PLAN_DECISIONS, setDecisionHandlers, TOOL_DECISIONS } from './decision-handlers.ts';
import {
  type PlanDecision,
  type PlanDecisionKind,
  type Refusal,
  type RunError,
  type RunInput,
  type RunOutcome,
  type RunProgress,
  runStatusSignal,
  stopRunSignal,
  type ToolDecision,
} from './definitions.ts';
import { setInternalSignalHandler } from './payload-checks.ts';
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
 * Bookkeeping activities (plans, decisions): a minute an attempt, a bounded number of attempts. A
 * database outage delays them for minutes; an error the database will give again (bad data) is not
 * retried (activities report it as `storage_rejected`), and the run then fails with `system_error`.
 */
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});
/** Recording a run's results (the workspace diff may take a while): heartbeats, so a stop reaches it, and a few attempts. */
const results = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 4 },
});

/**
 * One bounded attempt at an execution's work, as child workflow `execution-<executionId>-run-<index>`:
 * prepare the workspace and prompt, plan gate when the plan mode asks for one, then the agent loop
 * (a model step activity, then one activity per tool call) until the model answers without calling a
 * tool, or a budget is spent. Transcripts, tool inputs and outputs stay in Postgres: this workflow
 * handles only their ids.
 *
 * Whatever happens, the run ends with exactly one terminal event, written here: its work ends (an
 * outcome, a failure, a stop) and then it is finished (results recorded, outcome told to the
 * execution, the terminal event written). A stop cancels the work, or cuts the finishing short;
 * bookkeeping that fails for good makes the outcome `failed` (`system_error`) instead of wedging.
 */
export async function runWorkflow(input: RunInput): Promise<RunOutcome> {
  const { executionId, runId, turnNumber, attempt, agentId, model } = input;
  const ids = { executionId, runId, turnNumber, attempt };
  const call = () => ({ ...ids, agentId, model, eventId: uuid4() });
  const parent = getExternalWorkflowHandle(workflowInfo().parent!.workflowId);
  /** The run's status as this workflow sees it; the execution hears of each change. */
  let status: Status = 'running';
  /** Reports reach the execution one after another, in order (each is sent once the one before has arrived). */
  let reported: Promise<void> = Promise.resolve();
  const report = (next: Status, extra: { planVersion?: number; callId?: string } = {}): Promise<void> => {
    status = next;
    reported = reported.catch(() => undefined).then(() => parent.signal(runStatusSignal, { runId, status: next, ...extra }));
    return reported;
  };

  /** What waits for a person's decision, if anything: the run is the one judge of decisions on it. */
  let awaiting: { planVersion: number } | { callId: string } | undefined;

  /** What a stop cancels: the work first, the finishing once the work has ended. */
  const work = new CancellationScope();
  let finishing: CancellationScope | undefined;
  let stop: { by: Actor; reason?: string } | undefined;
  setInternalSignalHandler(stopRunSignal, { by: 'actor', reason: 'string?' }, (request) => {
    if (stop) return;
    stop = request;
    (finishing ?? work).cancel();
  });

  const carried = input.carried;
  let steps = carried?.steps ?? 0;
  let costUsd = carried?.costUsd ?? 0;
  /** Time spent working (model steps and tools); waiting for a person does not count. */
  let workingMs = carried?.workingMs ?? 0;
  let budgets: Budgets | undefined;

  // Decisions come straight from the API (Updates: the caller hears this run's verdict), or passed on
  // by the execution (its Updates and its signals from chat and ticketing clients).
  /** Plan versions up to this one have been decided (plans are decided in order; a run continued as new carries none undecided). */
  let decidedPlans = carried?.planVersion ?? 0;
  /** Tool calls decided (the last one is carried across continue-as-new: a retried decision on it is "already decided"). */
  const decidedCalls = new Set<string>(carried?.lastDecidedCall ? [carried.lastDecidedCall] : []);
  let lastDecidedCall = carried?.lastDecidedCall;
  const planDecisions: Array<PlanDecision & { decision: PlanDecisionKind }> = [];
  const toolDecisions: Array<ToolDecision & { decision: 'approve' | 'deny' }> = [];
  /** The run's state as a refusal names it: a run that no longer waits may not have reported so yet. */
  const now = () =>
    stop ? 'the run is being stopped' : status === 'awaiting_approval' || status === 'waiting_permission' ? 'the run is ending' : status;
  const judgePlan = ({ planVersion }: PlanDecision): Refusal | undefined => {
    const current = awaiting && 'planVersion' in awaiting && !stop ? awaiting.planVersion : undefined;
    const extra = { planVersion, currentPlanVersion: current ?? null };
    if (current !== undefined && current !== planVersion) {
      const message = `plan version ${planVersion} is not the one awaiting approval (version ${current})`;
      return { code: 'stale_plan_version', reason: 'stale plan version', message, extra };
    }
    // Decided already (the run is back at work): saying so is clearer than "no plan awaits".
    if (planVersion >= 1 && planVersion <= decidedPlans) {
      return { code: 'stale_plan_version', reason: 'already decided', message: `plan version ${planVersion} has been decided already`, extra };
    }
    if (current === undefined) {
      return { code: 'invalid_state', reason: 'no plan awaits approval', message: `no plan awaits approval while ${now()}`, extra };
    }
    return undefined;
  };
  const judgeTool = ({ callId }: ToolDecision): Refusal | undefined => {
    const pending = awaiting && 'callId' in awaiting && !stop ? awaiting.callId : undefined;
    const extra = { callId, pendingCallId: pending ?? null };
    if (pending !== undefined && pending !== callId) {
      const message = `tool call ${callId} is not the one awaiting permission (${pending})`;
      return { code: 'stale_tool_call', reason: 'not the tool call awaiting permission', message, extra };
    }
    if (decidedCalls.has(callId)) {
      return { code: 'stale_tool_call', reason: 'already decided', message: `tool call ${callId} has been decided already`, extra };
    }
    if (pending === undefined) {
      return { code: 'invalid_state', reason: 'no tool call awaits permission', message: `no tool call awaits permission while ${now()}`, extra };
    }
    return undefined;
  };
  /** An accepted decision: the run works again (the execution hears so with the next step's start). */
  const decided = (backToWork: boolean) => {
    awaiting = undefined;
    if (backToWork) void report('running').catch(() => undefined);
  };
  const acceptPlan = (kind: PlanDecisionKind) => (decision: PlanDecision) => {
    decidedPlans = decision.planVersion;
    planDecisions.push({ ...decision, decision: kind });
    decided(kind !== 'reject');
  };
  const acceptTool = (kind: 'approve' | 'deny') => (decision: ToolDecision) => {
    decidedCalls.add(decision.callId);
    lastDecidedCall = decision.callId;
    toolDecisions.push({ ...decision, decision: kind });
    decided(true);
  };
  const context: DecisionContext = {
    executionId,
    status: () => status,
    // Auditing a refusal is best effort: a database that cannot take it must not break the run.
    refuse: async (signal, by, reason, extra = {}) => {
      await recordEvent({ type: 'execution.signal_ignored', executionId, actor: by, payload: { signal, reason, status, ...extra } }).catch(
        () => undefined,
      );
    },
  };
  for (const d of PLAN_DECISIONS)
    setDecisionHandlers(d.name, d.update, d.signal, { fields: d.fields, judge: judgePlan, accept: acceptPlan(d.kind) }, context);
  for (const d of TOOL_DECISIONS)
    setDecisionHandlers(d.name, d.update, d.signal, { fields: d.fields, judge: judgeTool, accept: acceptTool(d.kind) }, context);

  const budgetExceeded = (budget: BudgetName, detail: string) =>
    ApplicationFailure.create({ type: 'budget_exceeded', message: `${budget} budget exceeded: ${detail}`, nonRetryable: true, details: [budget] });

  /**
   * The time budget: one timer per stretch of work (from the first model step or tool after a start
   * or a person's decision, to the next wait for a person or the end), not one per activity. When it
   * fires, the work in flight is cancelled and the run fails with budget_exceeded.
   */
  let stretch: { timer: CancellationScope; startedAt: number } | undefined;
  let inFlight: CancellationScope | undefined;
  let outOfTime = false;
  const outOfTimeFailure = () => budgetExceeded('maxDurationMs', `worked more than ${budgets!.maxDurationMs} ms`);

  /** Runs agent work within what is left of the time budget. */
  async function working<T>(fn: () => Promise<T>): Promise<T> {
    if (outOfTime) throw outOfTimeFailure();
    if (!stretch) {
      const remaining = budgets!.maxDurationMs - workingMs;
      if (remaining <= 0) throw budgetExceeded('maxDurationMs', `worked ${workingMs} ms of ${budgets!.maxDurationMs} ms`);
      const timer = new CancellationScope();
      stretch = { timer, startedAt: Date.now() };
      timer
        .run(() => sleep(remaining))
        .then(() => {
          outOfTime = true;
          inFlight?.cancel();
        })
        .catch(() => undefined); // cancelled: the stretch ended first
    }
    const scope = new CancellationScope();
    inFlight = scope;
    try {
      return await scope.run(fn);
    } catch (err) {
      if (outOfTime && isCancellation(err)) throw outOfTimeFailure();
      throw err;
    } finally {
      inFlight = undefined;
    }
  }

  /** Ends the stretch of work: waiting for a person, or the end of the work, does not count. */
  function pauseWork(): void {
    if (!stretch) return;
    stretch.timer.cancel();
    workingMs += Date.now() - stretch.startedAt;
    stretch = undefined;
  }

  /** Nobody decided in time: the execution stops taking decisions at once (the run is still being finished). */
  async function timedOut(): Promise<RunOutcome> {
    await report('running');
    return { status: 'cancelled', reason: 'approval_timeout' };
  }

  /**
   * Waits for a person's decision on `what`, up to the approval timeout; undefined when none came.
   * Decisions are taken only during this wait: however it ends (a decision, the timeout, a stop, a
   * failure), nothing more is taken.
   */
  async function decision<T>(what: NonNullable<typeof awaiting>, queue: T[], announce: () => Promise<void>): Promise<T | undefined> {
    awaiting = what;
    try {
      await announce();
      if (!(await condition(() => queue.length > 0, input.approvalTimeoutMs))) return undefined;
      return queue.shift();
    } finally {
      awaiting = undefined;
    }
  }

  /** A proposed plan waits for a decision. Returns true once approved, false to propose again, or the run's outcome. */
  async function decidePlan(version: number, answer: { callId?: string; step: number }): Promise<boolean | RunOutcome> {
    pauseWork();
    await deliverUndeliveredAnswer(); // a plan before this one in the same step
    // Judged on before Postgres shows the plan: a client that sees it can decide on it.
    const decided = await decision({ planVersion: version }, planDecisions, async () => {
      await report('awaiting_approval', { planVersion: version });
      await bookkeeping.recordPlan({ ...ids, version, ...answer });
    });
    if (!decided) return timedOut();
    const { decision: kind, by, reason, feedback } = decided;
    if (kind === 'reject') {
      await recordEvent({ ...ids, type: 'plan.rejected', actor: by, payload: { version, reason } });
      return { status: 'cancelled', reason: 'plan_rejected' };
    }
    // The next model step delivers the answer (or deliverUndeliveredAnswer, should anything else come first).
    undelivered = { decision: kind, version, by, feedback, ...answer };
    return kind === 'approve';
  }

  /** A tool call a person approved, the approval not yet recorded. */
  let approved: { callId: string; by: Actor } | undefined;

  /** A plan decision not yet audited nor told to the model. */
  let undelivered: PlanAnswer | undefined = carried?.planAnswer;
  async function deliverUndeliveredAnswer(): Promise<void> {
    if (!undelivered) return;
    await bookkeeping.answerPlan({ ...ids, answer: undelivered });
    undelivered = undefined;
  }

  /** A tool call the agent's policy holds for a person: true to run it; false when denied (the model is told); or the run's outcome. */
  async function askPermission(callId: string): Promise<boolean | RunOutcome> {
    pauseWork();
    await deliverUndeliveredAnswer();
    const decided = await decision({ callId }, toolDecisions, async () => {
      await report('waiting_permission', { callId });
      await bookkeeping.requestPermission({ ...ids, callId });
    });
    if (!decided) return timedOut();
    // An approval is recorded by the call's runTool (or by finish, should the run end first).
    if (decided.decision === 'approve') approved = { callId, by: decided.by };
    else await bookkeeping.decideToolCall({ ...ids, callId, decision: 'deny', by: decided.by });
    return decided.decision === 'approve';
  }

  /** The agent's work, from preparation to the model's final answer (or a plan decision that ends the run). */
  async function agentLoop(): Promise<RunOutcome> {
    // Still `pending` while the workspace is prepared; `running` (run.started, written by prepareRun)
    // once the agent can start. The execution marked itself running when it started this run.
    const setup =
      carried?.setup ??
      (await agent.prepareRun.executeWithOptions({ summary: 'prepare workspace and prompt' }, [
        { ...call(), projectId: input.projectId, planMode: input.planMode, budgets: input.budgets, index: input.index, trigger: input.trigger },
      ]));
    budgets = setup.budgets;
    let phase: 'plan' | 'work' = carried?.phase ?? (setup.planNeeded ? 'plan' : 'work');
    let planVersion = carried?.planVersion ?? 0;

    for (;;) {
      if (steps >= budgets.maxSteps) throw budgetExceeded('maxSteps', `the run took ${steps} model steps`);
      // A long run goes on in a fresh history (same workflow id: the execution's handle and signals still reach it).
      if (workflowInfo().continueAsNewSuggested && !stop) {
        pauseWork();
        await condition(allHandlersFinished);
        await reported.catch(() => undefined); // a report still on its way goes out from this history
        const progress: RunProgress = {
          setup,
          steps,
          costUsd,
          workingMs,
          phase,
          planVersion,
          ...(undelivered && { planAnswer: undelivered }),
          ...(lastDecidedCall && { lastDecidedCall }),
        };
        await continueAsNew<typeof runWorkflow>({ ...input, carried: progress });
      }
      const step = ++steps;
      const planAnswer = undelivered;
      const result = await working(() =>
        agent.modelStep.executeWithOptions({ summary: `${phase === 'plan' ? 'plan' : 'model'} step ${step}` }, [
          { ...call(), step, phase, ...(planAnswer && { planAnswer }) },
        ]),
      );
      undelivered = undefined;
      if (result.costUsd !== null) costUsd += result.costUsd;
      if (budgets.maxCostUsd !== null && costUsd > budgets.maxCostUsd) {
        throw budgetExceeded('maxCostUsd', `spent $${costUsd.toFixed(4)} of $${budgets.maxCostUsd}`);
      }

      if (result.final !== undefined) {
        if (phase === 'work') return { status: 'completed', summary: result.final };
        // Planning, the model answered in text instead of calling propose_plan: that text is the plan.
        const approved = await decidePlan(++planVersion, { step });
        if (typeof approved === 'object') return approved;
        if (approved) phase = 'work';
        continue;
      }

      for (const { callId, tool } of result.toolCalls) {
        if (tool === 'propose_plan') {
          const approved = await decidePlan(++planVersion, { step, callId });
          if (typeof approved === 'object') return approved;
          if (approved) phase = 'work';
          continue;
        }
        if (setup.needsApproval.includes(tool)) {
          const allowed = await askPermission(callId);
          if (typeof allowed === 'object') return allowed;
          if (!allowed) continue;
        }
        await deliverUndeliveredAnswer();
        const approvedBy = approved?.callId === callId ? approved.by : undefined;
        await working(() =>
          agent.runTool.executeWithOptions({ summary: `${tool} (step ${step})` }, [{ ...call(), callId, tool, ...(approvedBy && { approvedBy }) }]),
        );
        approved = undefined;
      }
    }
  }

  /**
   * Records how the run ended: its results (the files it changed, the summary, the progress log),
   * then tells the execution, then writes the one terminal event. A stop meanwhile cuts the results
   * short; results that cannot be recorded make the run `failed` with `system_error`.
   */
  async function finish(ended: RunOutcome): Promise<RunOutcome> {
    let outcome = ended;
    let summary = outcome.status === 'completed' ? outcome.summary : undefined;
    // An accepted decision is audited even when the run ends before its next step (a stop, a budget).
    await deliverUndeliveredAnswer().catch(() => undefined);
    if (approved) await bookkeeping.decideToolCall({ ...ids, ...approved, decision: 'approve' }).catch(() => undefined);
    finishing = new CancellationScope();
    if (stop) finishing.cancel();
    try {
      const recorded = await finishing.run(() =>
        results.finishRun.executeWithOptions({ summary: 'record results (files changed, summary, progress log)' }, [
          {
            ...ids,
            status: outcome.status,
            summary,
            error: outcome.status === 'failed' ? outcome.error : undefined,
            reason: outcome.status === 'cancelled' ? outcome.reason : undefined,
          },
        ]),
      );
      summary = recorded.summary;
    } catch (err) {
      if (!isCancellation(err)) {
        const problem = describeFailure(err);
        outcome = { status: 'failed', error: { type: 'system_error', message: `the run's results could not be recorded: ${problem.message}` } };
      }
    }
    summary ??= systemSummary(outcome, stop !== undefined);
    await report(outcome.status);
    await recordTerminalEvent(ids, outcome, summary);
    return outcome.status === 'completed' ? { ...outcome, summary } : outcome;
  }

  let outcome: RunOutcome;
  try {
    outcome = await work.run(agentLoop);
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) outcome = { status: 'cancelled', reason: stop ? 'stopped' : 'operator' };
    else outcome = { status: 'failed', error: describeFailure(err) };
  } finally {
    pauseWork();
  }
  // Finishing is not cancelled with the workflow (an operator's cancel): only a stop cuts it short.
  return CancellationScope.nonCancellable(async () => {
    const ended = await finish(outcome);
    // A decision refused meanwhile is audited before the run closes.
    await condition(allHandlersFinished);
    return ended;
  });
}

/**
 * Writes the run's terminal event. Should the database refuse it for good, a plain `run.failed`
 * (`system_error`) is written instead, so the run still ends, and ends once.
 */
async function recordTerminalEvent(
  ids: { executionId: string; runId: string; turnNumber: number; attempt: number },
  outcome: RunOutcome,
  summary: string,
) {
  const details = outcome.status === 'failed' ? { error: outcome.error } : outcome.status === 'cancelled' ? { reason: outcome.reason } : {};
  try {
    await recordEvent({ ...ids, type: `run.${outcome.status}`, payload: { summary, ...details } });
  } catch (err) {
    const message = `the run ended ${outcome.status}, but that could not be recorded: ${describeFailure(err).message}`;
    await recordEvent({
      ...ids,
      type: 'run.failed',
      payload: { summary: `The run ${outcome.status}. (${message})`, error: { type: 'system_error', message } },
    });
  }
}

/** What the system says of a run whose results could not be recorded (or were cut short by a stop). */
function systemSummary(outcome: RunOutcome, stopped: boolean): string {
  const how = runEndingSentence({ ...outcome, error: outcome.status === 'failed' ? outcome.error : undefined });
  return `${how} ${stopped ? 'A stop cut the recording of its results short' : 'Its results were not recorded'}. (Summary written by the system.)`;
}

/** A failure as a run's error: its type and message (an activity's cause, the workflow's own failure, or anything else thrown). */
function describeFailure(failure: unknown): RunError {
  const cause = failure instanceof ActivityFailure ? failure.cause : failure;
  if (cause instanceof ApplicationFailure) {
    const budget = cause.type === 'budget_exceeded' ? (cause.details?.[0] as string | undefined) : undefined;
    return { type: cause.type ?? 'error', message: cap(cause.message), ...(budget && { budget }) };
  }
  if (cause instanceof Error) return { type: cause.name || 'error', message: cap(cause.message) };
  return { type: 'error', message: cap(String(cause)) };
}

const cap = (text: string) => capText(text, 2000);
