import {
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  ChildWorkflowFailure,
  type ChildWorkflowHandle,
  condition,
  continueAsNew,
  isCancellation,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { DEFAULT_AGENT_ID } from '../common/agents.ts';
import type { Actor } from '../common/events.ts';
import { AgentExecutionStatusKey } from '../common/search-attributes.ts';
import { isTerminal, type Status } from '../common/statuses.ts';
import {
  approvePlanSignal,
  approveToolSignal,
  denyToolSignal,
  type ExecutionInput,
  type ExecutionRequest,
  type ExecutionState,
  executionCreatedEvent,
  type PlanDecision,
  type PlanDecisionKind,
  planDecisionSignal,
  type RunOutcome,
  type RunSummary,
  rejectPlanSignal,
  resumeSignal,
  retrySignal,
  revisePlanSignal,
  runStatusSignal,
  runWorkflowId,
  sendMessageSignal,
  stateQuery,
  stopRunSignal,
  stopSignal,
  type ToolDecision,
  toolDecisionSignal,
} from './definitions.ts';
import { recordEvent } from './record-event.ts';
import { runWorkflow } from './run.ts';
import { projectSlot } from './slot-requester.ts';

/**
 * One execution: workflow `execution-<executionId>`. Waits for work (the initial prompt, a follow-up
 * message, a retry, a resume), takes the project's slot, runs it as a `runWorkflow` child, releases
 * the slot, and waits again. Closes after `idleTimeoutMs` with nothing to do; a signal-with-start
 * reopens it with what it carried. Every refused signal is recorded in the audit log.
 */
export async function executionWorkflow(input: ExecutionInput): Promise<ExecutionState> {
  const { executionId } = input;
  const runs: RunSummary[] = input.carried?.runs ?? [];
  const requests: ExecutionRequest[] = input.carried?.requests ?? [];
  const state: ExecutionState = {
    executionId,
    status: input.carried?.status ?? runs.at(-1)?.status ?? 'pending',
    plan: null,
    pendingToolCall: null,
    queuePosition: null,
    currentRun: runs.at(-1) ?? null,
    runs,
    turns: Math.max(0, ...runs.map((r) => r.turnNumber)),
  };
  /** The run in progress: its child handle once started, and whether a stop was asked for. */
  let active: {
    run: RunSummary;
    scope: CancellationScope;
    child?: ChildWorkflowHandle<typeof runWorkflow>;
    /** The child is being started: a stop meanwhile is passed on once it has. */
    starting: boolean;
    stopped?: { by: Actor; reason?: string };
  } | null = null;
  const decidedPlans = new Set<string>();

  const setStatus = (status: Status) => {
    state.status = status;
    if (state.currentRun) state.currentRun.status = status;
    upsertSearchAttributes([{ key: AgentExecutionStatusKey, value: status }]);
    const details = [`status: ${status}`];
    if (state.plan) details.push(`plan version: ${state.plan.version}`);
    if (state.pendingToolCall) details.push(`tool call awaiting permission: ${state.pendingToolCall.callId}`);
    if (state.queuePosition) details.push(`queue position: ${state.queuePosition}`);
    setCurrentDetails(details.join(', '));
  };
  // Auditing a refusal is best effort: a database that cannot take it must not break the execution.
  const refuse = async (signal: string, by: Actor, reason: string, extra: Record<string, unknown> = {}): Promise<void> => {
    await recordEvent({
      type: 'execution.signal_ignored',
      executionId,
      actor: by,
      payload: { signal, reason, status: state.status, ...extra },
    }).catch(() => undefined);
  };
  const idle = () => active === null && requests.length === 0;
  const slot = projectSlot(input.projectId, async (position) => {
    const first = state.queuePosition === null;
    state.queuePosition = position;
    setStatus('queued');
    // The first report queues the run; later ones move it up (the projection keeps the position).
    const type = first ? 'run.queued' : 'run.queue_position';
    if (state.currentRun) await recordEvent({ ...runIds(state.currentRun), type, payload: { position } }).catch(() => undefined);
  });
  const runIds = (run: RunSummary) => ({ executionId, runId: run.runId, turnNumber: run.turnNumber, attempt: run.attempt });

  setHandler(stateQuery, () => state);
  setHandler(runStatusSignal, ({ runId, status, planVersion, callId }) => {
    if (active?.run.runId !== runId) return;
    state.plan = status === 'awaiting_approval' && planVersion ? { version: planVersion } : null;
    state.pendingToolCall = status === 'waiting_permission' && callId ? { callId } : null;
    setStatus(status);
  });

  // A run that has reported its outcome is ending: a client that saw that outcome in Postgres may
  // signal a moment before this workflow has wrapped the run up, so such signals wait for it. A
  // signal while a run is still at work is judged at once.
  const runEnded = async () => {
    if (active && isTerminal(active.run.status)) await condition(() => active === null);
  };
  setHandler(sendMessageSignal, async ({ text, by }) => {
    await runEnded();
    if (!idle()) return refuse('sendMessage', by, `a message is accepted only when the execution is idle, not while ${state.status}`);
    requests.push({ kind: 'message', text, by });
  });
  setHandler(retrySignal, async ({ by }) => {
    await runEnded();
    if (!idle() || state.status !== 'failed') return refuse('retry', by, `retry is allowed only after failed, not while ${state.status}`);
    requests.push({ kind: 'retry', by });
  });
  setHandler(resumeSignal, async ({ by }) => {
    await runEnded();
    if (!idle() || state.status !== 'cancelled') return refuse('resume', by, `resume is allowed only after cancelled, not while ${state.status}`);
    requests.push({ kind: 'resume', by });
  });
  setHandler(stopSignal, async ({ by, reason }) => {
    // A run that has reported its outcome is ending: there is nothing left to stop.
    if (!active || active.stopped || isTerminal(active.run.status)) return refuse('stop', by, `nothing to stop while ${state.status}`);
    const run = active;
    run.stopped = { by, reason };
    await recordEvent({ ...runIds(run.run), type: 'run.stop_requested', actor: by, payload: { reason } }).catch(() => undefined);
    // A started run stops itself (its work, or its finishing) and records how it ended; one that has
    // not started (pending, queued) is cancelled here.
    if (run.child) await stopChild(run.child, run.stopped);
    else if (!run.starting) run.scope.cancel();
  });

  const decide = (kind: PlanDecisionKind, signal: string) => async (decision: PlanDecision) => {
    const key = `${active?.run.runId}:${decision.planVersion}`;
    const current = state.plan?.version;
    if (!active || state.status !== 'awaiting_approval' || current !== decision.planVersion || decidedPlans.has(key)) {
      const reason = current === undefined ? 'no plan awaits approval' : current !== decision.planVersion ? 'stale plan version' : 'already decided';
      return refuse(signal, decision.by, reason, { planVersion: decision.planVersion, currentPlanVersion: current ?? null });
    }
    decidedPlans.add(key);
    await active.child!.signal(planDecisionSignal, { ...decision, decision: kind });
  };
  setHandler(approvePlanSignal, decide('approve', 'approvePlan'));
  setHandler(revisePlanSignal, decide('revise', 'revisePlan'));
  setHandler(rejectPlanSignal, decide('reject', 'rejectPlan'));

  const decidedToolCalls = new Set<string>();
  const decideTool = (kind: 'approve' | 'deny', signal: string) => async (decision: ToolDecision) => {
    const pending = state.pendingToolCall?.callId;
    if (!active || state.status !== 'waiting_permission' || pending !== decision.callId || decidedToolCalls.has(decision.callId)) {
      const reason =
        pending === undefined
          ? 'no tool call awaits permission'
          : pending !== decision.callId
            ? 'not the tool call awaiting permission'
            : 'already decided';
      return refuse(signal, decision.by, reason, { callId: decision.callId, pendingCallId: pending ?? null });
    }
    decidedToolCalls.add(decision.callId);
    await active.child!.signal(toolDecisionSignal, { ...decision, decision: kind });
  };
  setHandler(approveToolSignal, decideTool('approve', 'approveTool'));
  setHandler(denyToolSignal, decideTool('deny', 'denyTool'));

  /** Turns one request into a run and runs it to its outcome, holding the project's slot meanwhile. */
  async function runNext(request: ExecutionRequest): Promise<void> {
    const last = runs.at(-1);
    const repeat = request.kind === 'retry' || request.kind === 'resume';
    const run: RunSummary = {
      runId: uuid4(),
      index: runs.length + 1,
      trigger: request.kind,
      turnNumber: repeat ? (last?.turnNumber ?? 1) : state.turns + 1,
      attempt: repeat ? (last?.attempt ?? 0) + 1 : 1,
      status: 'pending',
    };
    runs.push(run);
    state.currentRun = run;
    state.turns = Math.max(state.turns, run.turnNumber);
    const scope = new CancellationScope();
    active = { run, scope, starting: false };
    const actor = 'by' in request ? request.by : { kind: 'user' as const, id: input.ownerId };
    const message = request.kind === 'message' ? request.text : undefined;
    // The initial run queues by when the API accepted the execution; later runs by when they were asked for.
    const createdAt = request.kind === 'initial' ? input.createdAt : new Date().toISOString();
    await recordEvent({
      ...runIds(run),
      type: 'run.created',
      actor,
      occurredAt: createdAt,
      payload: { index: run.index, trigger: run.trigger, message },
    });
    setStatus('pending');

    let outcome: RunOutcome;
    let started = false;
    try {
      outcome = await scope.run(async () => {
        await slot.acquire(createdAt);
        state.queuePosition = null;
        active!.starting = true;
        const child = await startChild(runWorkflow, {
          workflowId: runWorkflowId(executionId, run.index),
          args: [
            {
              ...runIds(run),
              projectId: input.projectId,
              index: run.index,
              trigger: run.trigger,
              planMode: input.planMode,
              agentId: input.agentId ?? DEFAULT_AGENT_ID,
              model: input.model,
              budgets: input.budgets,
              approvalTimeoutMs: input.approvalTimeoutMs,
            },
          ],
          staticSummary: `Run ${run.index} (${run.trigger}) of execution ${executionId}`,
        });
        active!.child = child;
        started = true;
        // A stop that came while the child was being started.
        if (active!.stopped) await stopChild(child, active!.stopped);
        // The child ends with its outcome, its terminal event written, whether it completed, failed or was stopped.
        return child.result();
      });
    } catch (err) {
      if (isCancellation(err) && !started) {
        // The execution itself was cancelled by an operator: recorded below, where that is handled.
        if (!active.stopped) throw err;
        outcome = { status: 'cancelled', reason: 'stopped' };
        // Stopped before its child started (while pending or queued): nobody else records it.
        await recordEvent({ ...runIds(run), type: 'run.cancelled', payload: { reason: 'stopped' } });
      } else if (err instanceof ChildWorkflowFailure) {
        // The child itself broke (terminated or cancelled by an operator, timed out): it wrote no
        // outcome, so it is written here (should it have written one, the database keeps that one).
        const cancelled = isCancellation(err);
        outcome = cancelled
          ? { status: 'cancelled', reason: 'operator' }
          : { status: 'failed', error: { type: 'run_workflow_failed', message: err.cause?.message ?? err.message } };
        const details = outcome.status === 'failed' ? { error: outcome.error } : { reason: 'operator' };
        await recordEvent({ ...runIds(run), type: `run.${outcome.status}`, payload: details });
      } else if (err instanceof ActivityFailure) {
        // Its bookkeeping failed for good (the slot could not be asked for, say): the run ends failed.
        const error = { type: 'system_error', message: `the run could not be started: ${err.cause?.message ?? err.message}` };
        outcome = { status: 'failed', error };
        await recordEvent({ ...runIds(run), type: 'run.failed', payload: { error } }).catch(() => undefined);
      } else {
        throw err;
      }
    } finally {
      await CancellationScope.nonCancellable(() => slot.release());
    }
    run.reason = outcome.status === 'cancelled' ? outcome.reason : undefined;
    state.plan = null;
    state.pendingToolCall = null;
    state.queuePosition = null;
    active = null;
    setStatus(outcome.status);
  }

  try {
    setStatus(state.status);
    if (!input.carried) {
      await recordEvent(executionCreatedEvent(input));
      requests.push({ kind: 'initial' });
    }
    for (;;) {
      await condition(() => requests.length > 0, input.idleTimeoutMs);
      if (requests.length === 0) {
        // Idle long enough: close, unless a request came with the timer (in the same workflow task) or
        // while handlers finished. Requests are never left behind.
        await condition(allHandlersFinished);
        if (requests.length === 0) break;
      }
      await runNext(requests.shift()!);
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof executionWorkflow>({ ...input, carried: { runs, requests, status: state.status } });
      }
    }
    await condition(allHandlersFinished);
    return state;
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // An operator cancelled the execution workflow (Temporal UI or CLI): end it cleanly and say so.
    await CancellationScope.nonCancellable(async () => {
      const run = state.currentRun;
      // A started child records its own cancellation; one that never started is recorded here.
      if (run && !isTerminal(run.status) && !active?.child) {
        await recordEvent({ ...runIds(run), type: 'run.cancelled', payload: { reason: 'operator' } });
        run.reason = 'operator';
      }
      await recordEvent({ type: 'execution.cancelled', executionId, actor: { kind: 'operator', id: 'temporal' }, payload: {} });
      setStatus('cancelled');
    });
    throw err;
  }
}

/** Asks a started run to stop; a run that has closed meanwhile has nothing left to stop. */
async function stopChild(child: ChildWorkflowHandle<typeof runWorkflow>, stop: { by: Actor; reason?: string }): Promise<void> {
  try {
    await child.signal(stopRunSignal, stop);
  } catch {
    // closed already: it recorded its own outcome
  }
}
