import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { Actor } from '../common/events.ts';
import {
  approvePlanSignal,
  approvePlanUpdate,
  approveToolSignal,
  approveToolUpdate,
  type DecisionBase,
  type DecisionResult,
  denyToolSignal,
  denyToolUpdate,
  type PlanDecision,
  type PlanDecisionKind,
  type Refusal,
  rejectPlanSignal,
  rejectPlanUpdate,
  revisePlanSignal,
  revisePlanUpdate,
  type ToolDecision,
} from './definitions.ts';
import { type Fields, payloadProblem, wellFormedActor } from './payload-checks.ts';

interface DecisionKind<Arg, Kind> {
  name: string;
  kind: Kind;
  update: UpdateDefinition<DecisionResult, [Arg]>;
  signal: SignalDefinition<[Arg]>;
  fields: Fields;
}
/** Decisions on a plan awaiting approval: the run judges them, the execution passes them on. */
export const PLAN_DECISIONS: ReadonlyArray<DecisionKind<PlanDecision, PlanDecisionKind>> = [
  { name: 'approvePlan', kind: 'approve', update: approvePlanUpdate, signal: approvePlanSignal, fields: { planVersion: 'number' } },
  { name: 'revisePlan', kind: 'revise', update: revisePlanUpdate, signal: revisePlanSignal, fields: { planVersion: 'number', feedback: 'string' } },
  { name: 'rejectPlan', kind: 'reject', update: rejectPlanUpdate, signal: rejectPlanSignal, fields: { planVersion: 'number', reason: 'string?' } },
];
/** Decisions on a tool call awaiting permission: the run judges them, the execution passes them on. */
export const TOOL_DECISIONS: ReadonlyArray<DecisionKind<ToolDecision, 'approve' | 'deny'>> = [
  { name: 'approveTool', kind: 'approve', update: approveToolUpdate, signal: approveToolSignal, fields: { callId: 'string' } },
  { name: 'denyTool', kind: 'deny', update: denyToolUpdate, signal: denyToolSignal, fields: { callId: 'string' } },
];

export interface DecisionRules<Arg> {
  /** The payload's own fields (`by` and `deadline` are checked for every decision). */
  fields: Fields;
  /** Why the decision does not fit now, or undefined to accept it. */
  judge: (arg: Arg) => Refusal | undefined;
  /**
   * Applies an accepted decision; may answer with the status it led to. A thrown ApplicationFailure
   * refuses it after all (a run that has just closed).
   */
  accept: (arg: Arg) => void | DecisionResult['status'] | Promise<DecisionResult['status'] | undefined> | Promise<void>;
  /** Applies an accepted signal, when that differs from an accepted Update. */
  acceptSignal?: (arg: Arg) => void | Promise<void>;
}

export interface DecisionContext {
  executionId: string;
  /** Audits a refused signal (best effort). */
  refuse: (name: string, by: Actor, reason: string, extra?: Record<string, unknown>) => Promise<void>;
  /** The status an accepted Update answers with. */
  status: () => DecisionResult['status'];
  /** Whether the workflow's state is loaded; decisions that came before are judged once it is. */
  loaded?: () => boolean;
}

/**
 * One decision, as an Update (validator, then handler: the caller hears the verdict at once, the
 * API's 200 or 409) and as a signal of the same name (chat and ticketing clients that cannot wait; a
 * refused signal is audited as execution.signal_ignored). Both are judged by the same rule.
 */
export function setDecisionHandlers<Arg extends DecisionBase>(
  name: string,
  update: UpdateDefinition<DecisionResult, [Arg]>,
  signal: SignalDefinition<[Arg]>,
  rules: DecisionRules<Arg>,
  context: DecisionContext,
): void {
  const loaded = context.loaded ?? (() => true);
  const refuseUpdate = (refusal: Refusal | undefined) => {
    if (refusal)
      throw ApplicationFailure.create({ type: refusal.code, message: `cannot ${name}: ${refusal.message ?? refusal.reason}`, nonRetryable: true });
  };
  // Anything may be sent by any Temporal client: a malformed payload is refused, never thrown on.
  const malformed = (arg: unknown): Refusal | undefined => {
    const problem = payloadProblem(arg, { by: 'actor', deadline: 'time?', ...rules.fields });
    return problem ? { code: 'invalid_request', reason: `malformed ${name}: ${problem}` } : undefined;
  };
  // The caller stopped waiting at its deadline (no worker answered in time): too late to change anything.
  const expired = (arg: Arg): Refusal | undefined =>
    arg.deadline && Date.now() > Date.parse(arg.deadline)
      ? { code: 'expired', reason: `${name} came after its deadline (${arg.deadline})` }
      : undefined;
  setHandler(
    update,
    async (arg) => {
      // Updates that came with a reopening start (update-with-start) are judged once it has loaded.
      if (!loaded()) {
        await condition(loaded);
        refuseUpdate(expired(arg) ?? rules.judge(arg));
      }
      const status = await rules.accept(arg);
      return { executionId: context.executionId, action: name, status: status ?? context.status() };
    },
    { validator: (arg) => refuseUpdate(malformed(arg) ?? expired(arg) ?? (loaded() ? rules.judge(arg) : undefined)) },
  );
  setHandler(signal, async (arg) => {
    const bad = malformed(arg);
    if (bad) return context.refuse(name, wellFormedActor((arg as { by?: unknown } | undefined)?.by), bad.reason);
    if (!loaded()) await condition(loaded);
    const refusal = rules.judge(arg);
    if (refusal) return context.refuse(name, arg.by, refusal.reason, refusal.extra);
    try {
      await (rules.acceptSignal ?? rules.accept)(arg);
    } catch (err) {
      // Thrown from a signal handler it would fail the whole workflow: the run closed just before, say.
      if (!(err instanceof ApplicationFailure)) throw err;
      await context.refuse(name, arg.by, err.message);
    }
  });
}
