// Types, signals and queries shared by the workflows and their clients (the API, tests, operators,
// and any Temporal client that approves plans: chat bots, ticketing webhooks, `temporal workflow signal`).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PlanAnswer } from '../activities/plan-answers.ts';
import type { RunSetup } from '../activities/run-setup.ts';
import type { Budgets } from '../common/budgets.ts';
import type { Actor, NewEvent } from '../common/events.ts';
import type { PlanMode, Status } from '../common/statuses.ts';

export const executionWorkflowId = (executionId: string): string => `execution-${executionId}`;
export const runWorkflowId = (executionId: string, index: number): string => `execution-${executionId}-run-${index}`;

export interface ModelChoice {
  provider: string;
  model: string;
}

export interface ExecutionInput {
  executionId: string;
  /** The tenant it belongs to (absent in executions from before tenants: the default tenant). */
  tenantId?: string;
  projectId: string;
  ownerId: string;
  /** The agent that works (absent in executions created before agents existed: the default agent). */
  agentId?: string;
  prompt: string;
  planMode: PlanMode;
  model: ModelChoice;
  /** Overrides of the agent's budgets for this execution. */
  budgets?: Partial<Budgets>;
  ticket?: string;
  /** What the execution works on (an item badge shows it), when the caller named one. */
  target?: ExecutionTarget;
  /** Started from the background-agents API. */
  background?: boolean;
  /** How long a proposed plan waits for a decision before the run is cancelled. */
  approvalTimeoutMs: number;
  /** How long the workflow stays open with nothing to do; a later signal-with-start reopens it. */
  idleTimeoutMs: number;
  /** Chosen by the API, which writes the same event: whichever write comes second is a no-op. */
  createdEventId: string;
  createdAt: string;
  /** Set when the workflow continues as new, or is reopened after closing idle: where it left off. */
  carried?: CarriedState;
}

/** Reopening a closed execution (update-with-start): only what identifies it; the workflow loads the rest. */
export interface ReopenInput {
  /** The project names the execution's slot, whose signals may come before the rest is loaded. */
  reopen: { executionId: string; tenantId?: string; projectId: string; idleTimeoutMs: number };
}

/** What starts an execution workflow: a new execution, a continue-as-new, or a reopening. */
export type ExecutionStart = ExecutionInput | ReopenInput;

export interface ExecutionTarget {
  type: string;
  id: string;
}

/** What an execution workflow hands to its next run (continue-as-new) or reloads on reopening. */
export interface CarriedState {
  runs: RunSummary[];
  requests: ExecutionRequest[];
  /** The execution's status, which differs from its last run's after an operator ended it. */
  status?: Status;
}

export type RunTrigger = 'initial' | 'message' | 'retry' | 'resume';

export interface RunSummary {
  runId: string;
  index: number;
  trigger: RunTrigger;
  turnNumber: number;
  attempt: number;
  status: Status;
  reason?: string;
}

/** Work waiting for the execution: each becomes one run. */
export type ExecutionRequest =
  | { kind: 'initial' }
  | { kind: 'message'; text: string; by: Actor }
  | { kind: 'retry'; by: Actor }
  | { kind: 'resume'; by: Actor };

export interface RunInput {
  executionId: string;
  projectId: string;
  runId: string;
  index: number;
  trigger: RunTrigger;
  turnNumber: number;
  attempt: number;
  planMode: PlanMode;
  agentId: string;
  model: ModelChoice;
  budgets?: Partial<Budgets>;
  approvalTimeoutMs: number;
  /** Where a long run continued as new: its work so far (absent for a run's first workflow run). */
  carried?: RunProgress;
}

/** A run's work so far, carried across continue-as-new so its budgets and phase hold. */
export interface RunProgress {
  setup: RunSetup;
  steps: number;
  costUsd: number;
  workingMs: number;
  phase: 'plan' | 'work';
  planVersion: number;
  planAnswer?: PlanAnswer;
  /** The last tool call a person decided. */
  lastDecidedCall?: string;
}

export interface RunError {
  type: string;
  message: string;
  /** budget_exceeded: which budget. */
  budget?: string;
}

export type RunOutcome = { status: 'completed'; summary: string } | { status: 'failed'; error: RunError } | { status: 'cancelled'; reason: string };

/** What the `state` query answers: the live state of an execution workflow. */
export interface ExecutionState {
  executionId: string;
  status: Status;
  /** The plan waiting for a decision (its text is in the plan.proposed event). */
  plan: { version: number } | null;
  /** The tool call waiting for a person's decision while `waiting_permission` (tool and input are in Postgres). */
  pendingToolCall: { callId: string } | null;
  /** 1-based place in the project's queue while `queued`. */
  queuePosition: number | null;
  currentRun: RunSummary | null;
  runs: RunSummary[];
  turns: number;
}

export const stateQuery = defineQuery<ExecutionState>('state');

// --- Public signals to executionWorkflow (payloads documented in the README) ---

/**
 * What every decision carries: who decides and, for Updates, until when the caller waits (a decision
 * processed later than that is refused, so a caller that gave up waiting changed nothing).
 */
export interface DecisionBase {
  by: Actor;
  deadline?: string;
}

/** A decision on a proposed plan. `planVersion` must be the version awaiting approval. */
export interface PlanDecision extends DecisionBase {
  planVersion: number;
  /** revisePlan: what to change. */
  feedback?: string;
  /** rejectPlan: why (optional). */
  reason?: string;
}

export const approvePlanSignal = defineSignal<[PlanDecision]>('approvePlan');
export const revisePlanSignal = defineSignal<[PlanDecision]>('revisePlan');
export const rejectPlanSignal = defineSignal<[PlanDecision]>('rejectPlan');
export type MessageRequest = DecisionBase & { text: string };
export type StopRequest = DecisionBase & { reason?: string };
export const sendMessageSignal = defineSignal<[MessageRequest]>('sendMessage');
export const retrySignal = defineSignal<[DecisionBase]>('retry');
export const resumeSignal = defineSignal<[DecisionBase]>('resume');
export const stopSignal = defineSignal<[StopRequest]>('stop');

/** A decision on the tool call awaiting permission (`waiting_permission`). */
export interface ToolDecision extends DecisionBase {
  callId: string;
}
export const approveToolSignal = defineSignal<[ToolDecision]>('approveTool');
export const denyToolSignal = defineSignal<[ToolDecision]>('denyTool');

// --- The same decisions as Workflow Updates: the caller hears the verdict at once ---

/** An accepted decision; a refused one fails the Update with an ApplicationFailure of type `invalid_state`, `stale_plan_version`, `stale_tool_call` or `expired`. */
export interface DecisionResult {
  executionId: string;
  action: string;
  /** The execution's status when the decision was accepted. */
  status: Status;
}
/** The codes a workflow refuses a decision with (anything else is a failure to decide, not a refusal). */
export const REFUSAL_CODES: readonly string[] = ['invalid_state', 'invalid_request', 'stale_plan_version', 'stale_tool_call', 'expired'];
/** Why a decision does not fit now: `code` (the 409's error code), a short `reason` (audited), a longer `message`. */
export interface Refusal {
  code: string;
  reason: string;
  message?: string;
  extra?: Record<string, unknown>;
}
export const approvePlanUpdate = defineUpdate<DecisionResult, [PlanDecision]>('approvePlan');
export const revisePlanUpdate = defineUpdate<DecisionResult, [PlanDecision]>('revisePlan');
export const rejectPlanUpdate = defineUpdate<DecisionResult, [PlanDecision]>('rejectPlan');
export const approveToolUpdate = defineUpdate<DecisionResult, [ToolDecision]>('approveTool');
export const denyToolUpdate = defineUpdate<DecisionResult, [ToolDecision]>('denyTool');
export const sendMessageUpdate = defineUpdate<DecisionResult, [MessageRequest]>('sendMessage');
export const retryUpdate = defineUpdate<DecisionResult, [DecisionBase]>('retry');
export const resumeUpdate = defineUpdate<DecisionResult, [DecisionBase]>('resume');
export const stopUpdate = defineUpdate<DecisionResult, [StopRequest]>('stop');

// --- Internal signals between our own workflows ---

export type PlanDecisionKind = 'approve' | 'revise' | 'reject';

/** execution → its current run: stop (the run cancels its work, or cuts its finishing short, and records how it ended). */
export const stopRunSignal = defineSignal<[{ by: Actor; reason?: string }]>('stopRun');
/** run → its execution: the run's status changed (so the execution's state and search attributes follow). */
export const runStatusSignal = defineSignal<[{ runId: string; status: Status; planVersion?: number; callId?: string }]>('runStatus');

/** Which project's slot: projects are named within their tenant (none: the default tenant, as before tenants). */
export interface SlotKey {
  tenantId?: string;
  projectId: string;
}

/** A request for a project's slot; `requestId` tells a late grant of an abandoned request from the current one. */
export interface SlotRequest {
  requesterId: string;
  /** The requester's workflow run: a reopened execution (same workflow id) is a different holder. */
  requesterRunId: string;
  requestId: string;
  /** When the run asking for the slot was created: the queue is in this order, not in arrival order. */
  requestedAt: string;
}
/** activity → a queued execution: the slot it asked for is now its own. */
export const slotGrantedSignal = defineSignal<[{ requestId: string }]>('slotGranted');
/** activity → a queued execution: its place in its project's queue changed; a larger `stamp` is a later place. */
export const queuePositionSignal = defineSignal<[{ requestId: string; position: number; stamp: number }]>('queuePosition');

/** API → an execution handed off: its new owner, for the `OwnerId` search attribute operators filter by. */
export const ownerChangedSignal = defineSignal<[{ ownerId: string }]>('ownerChanged');

/** The `execution.created` event, written by both the API and the workflow under one id. */
export function executionCreatedEvent(input: ExecutionInput): NewEvent {
  const { executionId, tenantId, ownerId, projectId, agentId, prompt, planMode, model, budgets, ticket, target, background, approvalTimeoutMs } =
    input;
  return {
    eventId: input.createdEventId,
    type: 'execution.created',
    executionId,
    actor: { kind: 'user', id: ownerId },
    occurredAt: input.createdAt,
    payload: { tenantId, projectId, ownerId, agentId, prompt, planMode, model, budgets, ticket, target, background, approvalTimeoutMs },
  };
}
