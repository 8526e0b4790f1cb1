import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  ChildWorkflowFailure,
  type ChildWorkflowHandle,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { DEFAULT_AGENT_ID } from '../common/agents.ts';
import type { Actor } from '../common/events.ts';
import { AgentExecutionStatusKey, OwnerIdKey } from '../common/search-attributes.ts';
import { isTerminal, STATUSES, type Status } from '../common/statuses.ts';
import { type DecisionContext, PLAN_DECISIONS, setDecisionHandlers, TOOL_DECISIONS } from './decision-handlers.ts';
import {
  type DecisionBase,
  type DecisionResult,
  type ExecutionRequest,
  type ExecutionStart,
  type ExecutionState,
  executionCreatedEvent,
  ownerChangedSignal,
  REFUSAL_CODES,
  type Refusal,
  type ReopenInput as ReopenStart,
  type RunOutcome,
  type RunSummary,
  resumeSignal,
  resumeUpdate,
  retrySignal,
  retryUpdate,
  runStatusSignal,
  runWorkflowId,
  sendMessageSignal,
  sendMessageUpdate,
  stateQuery,
  stopRunSignal,
  stopSignal,
  stopUpdate,
} from './definitions.ts';
import { type Fields, setInternalSignalHandler } from './payload-checks.ts';
import { recordEvent } from './record-event.ts';

const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 10 },
});

import { runWorkflow } from './run.ts';
import { projectSlot } from './slot-requester.ts';

/** A user's id: `<tenant>:<name>`, both slugs (db/tenants.ts). */
const USER_ID = /^[a-z0-9][a-z0-9_-]{0,62}:[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * One execution: workflow `execution-<executionId>`. Waits for work (the initial prompt, a follow-up
 * message, a retry, a resume), takes the project's slot, runs it as a `runWorkflow` child, releases
 * the slot, and waits again. Closes after `idleTimeoutMs` with nothing to do; a signal-with-start
 * reopens it with what it carried. Every refused signal is recorded in the audit log.
 */
export async function executionWorkflow(start: ExecutionStart): Promise<ExecutionState> {
  const executionId = 'reopen' in start ? start.reopen.executionId : start.executionId;
  const runs: RunSummary[] = [];
  const requests: ExecutionRequest[] = [];
  const state: ExecutionState = {
    executionId,
    status: 'pending',
    plan: null,
    pendingToolCall: null,
    queuePosition: null,
    currentRun: null,
    runs,
    turns: 0,
  };
  /** The execution's input; a reopened one loads it (below) while its handlers are already set. */
  let input = 'reopen' in start ? undefined : start;
  /** Whether the state below is restored (at once, but for a reopened execution that loads it first). */
  let ready = false;
  const loaded = () => ready;
  /** The run in progress: its child handle once started, and whether a stop was asked for. */
  let active: {
    run: RunSummary;
    scope: CancellationScope;
    child?: ChildWorkflowHandle<typeof runWorkflow>;
    /** The child is being started: a stop meanwhile is passed on once it has. */
    starting: boolean;
    stopped?: { by: Actor; reason?: string };
  } | null = null;

  /** The status the search attribute shows: upserted only when it changes (each upsert is a history event). */
  let shownStatus: Status | undefined;
  const setStatus = (status: Status) => {
    state.status = status;
    if (state.currentRun) state.currentRun.status = status;
    if (status !== shownStatus) upsertSearchAttributes([{ key: AgentExecutionStatusKey, value: status }]);
    shownStatus = status;
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
  const { tenantId, projectId } = 'reopen' in start ? start.reopen : start;
  const slot = projectSlot({ tenantId, projectId }, async (position) => {
    const first = state.queuePosition === null;
    state.queuePosition = position;
    setStatus('queued');
    // The first report queues the run; later ones move it up (the projection keeps the position).
    const type = first ? 'run.queued' : 'run.queue_position';
    if (state.currentRun) await recordEvent({ ...runIds(state.currentRun), type, payload: { position } }).catch(() => undefined);
  });
  const runIds = (run: RunSummary) => ({ executionId, runId: run.runId, turnNumber: run.turnNumber, attempt: run.attempt });

  setHandler(stateQuery, () => state);
  // Postgres says who owns it (a hand-off is projected there); this keeps the Temporal UI's filter in step.
  setInternalSignalHandler(ownerChangedSignal, { ownerId: 'string' }, ({ ownerId }) => {
    // A user id (`<tenant>:<name>`, slugs): anything else, too long for a search attribute, say, would fail the task.
    if (!USER_ID.test(ownerId)) return log.warn('ignored an ownerChanged signal: not a user id');
    upsertSearchAttributes([{ key: OwnerIdKey, value: ownerId }]);
    if (input) input.ownerId = ownerId;
  });
  setInternalSignalHandler(
    runStatusSignal,
    { runId: 'string', status: STATUSES, planVersion: 'number?', callId: 'string?' },
    ({ runId, status, planVersion, callId }) => {
      if (active?.run.runId !== runId) return;
      state.plan = status === 'awaiting_approval' && planVersion ? { version: planVersion } : null;
      state.pendingToolCall = status === 'waiting_permission' && callId ? { callId } : null;
      setStatus(status);
    },
  );

  // Every decision is judged by one rule, whether it comes as an Update (the caller hears the verdict
  // at once: the API's 200 or 409) or as a signal (chat and ticketing clients that cannot wait; a
  // refused signal is audited as execution.signal_ignored). A run that has reported its outcome counts
  // as ended: a client that saw that outcome in Postgres may ask for more before it is wrapped up.
  const atRest = () => (!active || isTerminal(active.run.status)) && requests.length === 0;
  const notIdle = (what: string): Refusal => ({ code: 'invalid_state', reason: `${what}, not while ${state.status}` });
  const judgeMessage = (): Refusal | undefined => (atRest() ? undefined : notIdle('a message is accepted only when the execution is idle'));
  const judgeRetry = (): Refusal | undefined => (atRest() && state.status === 'failed' ? undefined : notIdle('retry is allowed only after failed'));
  const judgeResume = (): Refusal | undefined =>
    atRest() && state.status === 'cancelled' ? undefined : notIdle('resume is allowed only after cancelled');
  const judgeStop = (): Refusal | undefined =>
    !active || active.stopped || isTerminal(active.run.status)
      ? { code: 'invalid_state', reason: `nothing to stop while ${state.status}` }
      : undefined;
  const acceptMessage = ({ text, by }: { text: string; by: Actor }) => void requests.push({ kind: 'message', text, by });
  const acceptRetry = ({ by }: { by: Actor }) => void requests.push({ kind: 'retry', by });
  const acceptResume = ({ by }: { by: Actor }) => void requests.push({ kind: 'resume', by });
  const acceptStop = async ({ by, reason }: { by: Actor; reason?: string }) => {
    const run = active!;
    run.stopped = { by, reason };
    await recordEvent({ ...runIds(run.run), type: 'run.stop_requested', actor: by, payload: { reason } }).catch(() => undefined);
    // A started run stops itself (its work, or its finishing) and records how it ended; one that has
    // not started (pending, queued) is cancelled here.
    if (run.child) await stopChild(run.child, run.stopped);
    else if (!run.starting) run.scope.cancel();
  };
  /**
   * Decisions on what a run waits for (a plan, a tool call) are judged by the run itself: the API
   * sends them to it straight away. Those that come here (an operator's Update, a chat client's
   * signal) are passed on, and the caller hears the run's own verdict (a refused signal the run audits).
   */
  const judgeRunDecision = (what: string) => (): Refusal | undefined =>
    active?.child && !active.stopped && !isTerminal(active.run.status)
      ? undefined
      : { code: 'invalid_state', reason: `no ${what}`, message: `no ${what} while ${state.status}` };
  const passOn = <Arg extends DecisionBase>(
    name: string,
    what: string,
    update: UpdateDefinition<DecisionResult, [Arg]>,
    signal: SignalDefinition<[Arg]>,
    fields: Fields,
  ) => {
    const judge = judgeRunDecision(what);
    setDecisionHandlers(
      name,
      update,
      signal,
      {
        fields,
        judge,
        // An Update: the run's verdict, asked for by an activity (a workflow cannot send an Update).
        accept: async (arg) => {
          try {
            return (await bookkeeping.passDecisionOn({ workflowId: active!.child!.workflowId, name, arg })).status;
          } catch (err) {
            // The run's refusal, as the run gave it (its type is the caller's 409 code).
            const cause = err instanceof ActivityFailure ? err.cause : undefined;
            if (!(cause instanceof ApplicationFailure && REFUSAL_CODES.includes(cause.type ?? ''))) throw err;
            throw ApplicationFailure.create({ type: cause.type ?? undefined, message: cause.message, nonRetryable: true });
          }
        },
        // A signal: passed on as it came; the run judges it and audits a refusal.
        acceptSignal: (arg) => passSignalOn(active!.child!, name, arg),
      },
      context,
    );
  };

  const context: DecisionContext = { executionId, refuse, status: () => state.status, loaded };
  setDecisionHandlers(
    'sendMessage',
    sendMessageUpdate,
    sendMessageSignal,
    { fields: { text: 'string' }, judge: judgeMessage, accept: acceptMessage },
    context,
  );
  setDecisionHandlers('retry', retryUpdate, retrySignal, { fields: {}, judge: judgeRetry, accept: acceptRetry }, context);
  setDecisionHandlers('resume', resumeUpdate, resumeSignal, { fields: {}, judge: judgeResume, accept: acceptResume }, context);
  setDecisionHandlers('stop', stopUpdate, stopSignal, { fields: { reason: 'string?' }, judge: judgeStop, accept: acceptStop }, context);
  for (const d of PLAN_DECISIONS) passOn(d.name, 'plan awaits approval', d.update, d.signal, d.fields);
  for (const d of TOOL_DECISIONS) passOn(d.name, 'tool call awaits permission', d.update, d.signal, d.fields);

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
    const actor = 'by' in request ? request.by : { kind: 'user' as const, id: input!.ownerId };
    const message = request.kind === 'message' ? request.text : undefined;
    // The initial run queues by when the API accepted the execution; later runs by when they were asked for.
    const createdAt = request.kind === 'initial' ? input!.createdAt : new Date().toISOString();
    // The execution's own first event goes with its first run's, and with the request for the project's slot (one activity).
    const first = request.kind === 'initial' && !input!.carried ? [executionCreatedEvent(input!)] : [];
    await slot.request(createdAt, [
      ...first,
      { ...runIds(run), type: 'run.created', actor, occurredAt: createdAt, payload: { index: run.index, trigger: run.trigger, message } },
    ]);
    setStatus('pending');

    let outcome: RunOutcome;
    let started = false;
    try {
      outcome = await scope.run(async () => {
        await slot.acquire();
        state.queuePosition = null;
        active!.starting = true;
        const child = await startChild(runWorkflow, {
          workflowId: runWorkflowId(executionId, run.index),
          args: [
            {
              ...runIds(run),
              projectId: input!.projectId,
              index: run.index,
              trigger: run.trigger,
              planMode: input!.planMode,
              agentId: input!.agentId ?? DEFAULT_AGENT_ID,
              model: input!.model,
              budgets: input!.budgets,
              approvalTimeoutMs: input!.approvalTimeoutMs,
            },
          ],
          staticSummary: `Run ${run.index} (${run.trigger}) of execution ${executionId}`,
        });
        active!.child = child;
        started = true;
        // Running from here (Postgres says so once the run has prepared its workspace): the run does not report it.
        // Only over pending or queued: a report from the run may have come with its start (a delayed workflow task).
        if (state.status === 'pending' || state.status === 'queued') setStatus('running');
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
        // Stopped before its child started (while pending or queued): nobody else records it. The
        // status is this workflow's before Postgres shows it, so a resume right after is judged on it.
        setStatus(outcome.status);
        await recordEvent({ ...runIds(run), type: 'run.cancelled', payload: { reason: 'stopped' } });
      } else if (err instanceof ChildWorkflowFailure) {
        // The child itself broke (terminated or cancelled by an operator, timed out): it wrote no
        // outcome, so it is written here (should it have written one, the database keeps that one).
        const cancelled = isCancellation(err);
        outcome = cancelled
          ? { status: 'cancelled', reason: 'operator' }
          : { status: 'failed', error: { type: 'run_workflow_failed', message: err.cause?.message ?? err.message } };
        const details = outcome.status === 'failed' ? { error: outcome.error } : { reason: 'operator' };
        setStatus(outcome.status);
        await recordEvent({ ...runIds(run), type: `run.${outcome.status}`, payload: details });
      } else if (err instanceof ActivityFailure) {
        // Its bookkeeping failed for good (the slot could not be asked for, say): the run ends failed.
        const error = { type: 'system_error', message: `the run could not be started: ${err.cause?.message ?? err.message}` };
        outcome = { status: 'failed', error };
        setStatus(outcome.status);
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

  // A reopened execution loads what it had from Postgres; decisions that came with it wait above.
  if (!input) input = await bookkeeping.loadExecutionInput((start as ReopenStart).reopen);
  runs.push(...(input.carried?.runs ?? []));
  requests.push(...(input.carried?.requests ?? []));
  state.status = input.carried?.status ?? runs.at(-1)?.status ?? 'pending';
  state.currentRun = runs.at(-1) ?? null;
  state.turns = Math.max(0, ...runs.map((r) => r.turnNumber));
  ready = true;

  try {
    setStatus(state.status);
    if (!input!.carried) requests.push({ kind: 'initial' });
    for (;;) {
      await condition(() => requests.length > 0, input!.idleTimeoutMs);
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

/** Passes a decision signal on to the run; one that has just closed can take none (refused, and audited). */
async function passSignalOn(child: ChildWorkflowHandle<typeof runWorkflow>, name: string, arg: unknown): Promise<void> {
  try {
    await child.signal(name, arg);
  } catch {
    throw ApplicationFailure.create({
      type: 'invalid_state',
      message: `run ${child.workflowId} has just ended: it takes no decision`,
      nonRetryable: true,
    });
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
