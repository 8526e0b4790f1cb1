import { ApplicationFailure, Context } from '@temporalio/activity';
import { capText } from '../common/cap-text.ts';
import type { Actor } from '../common/events.ts';
import { uuidFromName } from '../common/ids.ts';
import type { Database } from '../db/client.ts';
import { findToolCall, stepText, type ToolCallRow, updateToolCall } from '../db/transcript.ts';
import { withHeartbeats } from './heartbeat.ts';
import { deliverPlanAnswer, type PlanAnswer } from './plan-answers.ts';
import { type AgentCall, type RunIds, recordRunEvent, runEventWriter } from './run-events.ts';
import { executeTool } from './tools/execute-tool.ts';
import type { WorkspaceDriver } from './workspace/driver.ts';

/** How much of a tool's input and output an event carries; the full values are in `tool_calls`. */
const EVENT_TEXT_LIMIT = 2000;

/**
 * The activities around tool calls: running one in the workspace, holding one for a person's
 * permission, and answering the model (plan decisions, denials). Inputs and outputs stay in
 * Postgres; the workflow passes call ids.
 */
export function createToolCallActivities({ db, workspaces }: { db: Database; workspaces: WorkspaceDriver }) {
  /** Events whose id follows from the call and what happened, so a retried activity writes each once. */
  const record = (ids: RunIds, key: string, type: string, payload: Record<string, unknown>, actor?: Actor) =>
    recordRunEvent(db, ids, uuidFromName(`${ids.runId}:${key}`), type, payload, actor);

  async function loadCall(callId: string): Promise<ToolCallRow> {
    const row = await findToolCall(db, callId);
    if (!row) throw ApplicationFailure.nonRetryable(`tool call ${callId} does not exist`, 'internal');
    return row;
  }

  /** A person's decision on a call; a denial becomes the tool's result, so the model learns of it. */
  async function recordDecision(input: RunIds & { callId: string; decision: 'approve' | 'deny'; by: Actor }): Promise<void> {
    const call = await loadCall(input.callId);
    const denied = input.decision === 'deny';
    // Only while it waits: a retried runTool (or the run's finish) must not undo a call's later status.
    if (call.status === 'waiting_permission')
      await updateToolCall(db, input.callId, {
        status: denied ? 'denied' : 'approved',
        decidedBy: input.by,
        ...(denied && {
          output: `Denied: ${input.by.id} did not allow this ${call.tool} call. Do not try it again; go on without it, or finish and say what is left.`,
          isError: true,
          completedAt: new Date(),
        }),
      });
    await record(input, `${input.callId}:decision`, denied ? 'tool.denied' : 'tool.approved', { callId: call.id, tool: call.tool }, input.by);
  }

  return {
    /** Writes `plan.proposed`: the plan is a propose_plan call's input, or the step's text. */
    async recordPlan(input: RunIds & { version: number; step: number; callId?: string }): Promise<void> {
      const plan = input.callId ? (await loadCall(input.callId)).input : undefined;
      const text =
        typeof (plan as { plan?: unknown })?.plan === 'string' ? (plan as { plan: string }).plan : await stepText(db, input.runId, input.step);
      await record(input, `plan:${input.version}`, 'plan.proposed', { version: input.version, text, callId: input.callId });
    },

    /** Delivers a plan decision that no model step carries (the run ends, or a tool call comes first). */
    async answerPlan(input: RunIds & { answer: PlanAnswer }): Promise<void> {
      await deliverPlanAnswer(db, input, input.answer);
    },

    async requestPermission(input: RunIds & { callId: string }): Promise<void> {
      const call = await loadCall(input.callId);
      await updateToolCall(db, input.callId, { status: 'waiting_permission' });
      await record(input, `${input.callId}:permission`, 'tool.permission_requested', {
        callId: call.id,
        tool: call.tool,
        input: abbreviate(call.input),
      });
    },

    /** Records a denial (the model's next step reads it), or an approval no runTool carries (the run ended first). */
    decideToolCall: recordDecision,

    /**
     * Runs one tool call in the execution's workspace; its result is what the model sees next step.
     * The output is stored before `tool.call_completed` is written, so an attempt that lost its worker
     * in between is finished by the next one without running the tool again. A tool with side effects
     * is marked started first: an attempt that finds it started by an earlier one, with no output (that
     * worker was lost while it ran), does not run it again blind but tells the model it may have run.
     */
    async runTool(call: AgentCall & { callId: string; tool?: string; approvedBy?: Actor }): Promise<{ isError: boolean }> {
      // A person's approval travels with the call it approves: recorded first (one activity fewer).
      if (call.approvedBy) await withHeartbeats(() => recordDecision({ ...call, decision: 'approve', by: call.approvedBy! }));
      let row = await loadCall(call.callId);
      // Never another tool than the one the run judged (and held for permission): an attempt of the step
      // that timed out but still saved could have replaced the call.
      if (call.tool !== undefined && row.tool !== call.tool) {
        throw ApplicationFailure.nonRetryable(`tool call ${call.callId} is now ${row.tool}, not the ${call.tool} the run judged`, 'internal');
      }
      let durationMs: number | undefined;
      const interrupted = row.output === null && row.startedAt !== null;
      if (interrupted) {
        const output = interruptedOutput(row.tool, row.startedAt!);
        await updateToolCall(db, row.id, { status: 'completed', output, isError: true, completedAt: new Date() });
        row = { ...row, output, isError: true };
      } else if (row.output === null) {
        const signal = Context.current().cancellationSignal;
        const write = runEventWriter(db, call, call.eventId);
        await write('tool.call_started', { callId: row.id, step: row.step, tool: row.tool, input: abbreviate(row.input) });
        if (SIDE_EFFECT_TOOLS.includes(row.tool)) await updateToolCall(db, row.id, { startedAt: new Date() });
        const started = Date.now();
        const outcome = await withHeartbeats(async () => executeTool(await workspaces.open(call.executionId), row.tool, row.input, { signal }));
        const change = outcome.change && { path: outcome.change.path, added: outcome.change.added, removed: outcome.change.removed };
        await updateToolCall(db, row.id, { status: 'completed', output: outcome.output, isError: outcome.isError, change, completedAt: new Date() });
        row = { ...row, output: outcome.output, isError: outcome.isError, change: change ?? null };
        durationMs = Date.now() - started;
      }
      const output = row.output ?? '';
      await record(call, `${row.id}:completed`, 'tool.call_completed', {
        callId: row.id,
        step: row.step,
        tool: row.tool,
        isError: row.isError ?? false,
        output: capText(output, EVENT_TEXT_LIMIT),
        outputChars: output.length,
        truncated: output.length > EVENT_TEXT_LIMIT,
        ...(durationMs !== undefined && { durationMs }),
        ...(interrupted && { interrupted: true }),
        ...(row.change ? { change: row.change } : {}),
      });
      return { isError: row.isError ?? false };
    },
  };
}

/**
 * Tools whose calls change something (files, or anything a command does): run at most once. A
 * read-only tool whose attempt was lost is simply run again.
 */
const SIDE_EFFECT_TOOLS: readonly string[] = ['write_file', 'edit_file', 'run_command'];

/** What the model is told of a side-effecting call whose attempt was lost while it ran. */
function interruptedOutput(tool: string, startedAt: Date): string {
  return (
    `This ${tool} call was started at ${startedAt.toISOString()}, but the worker running it was lost before it reported back: ` +
    'it may have run in part or in full, and its output is unknown. It was not run again, so that its effects do not happen twice. ' +
    'Check what it would have changed (files, state) before deciding whether to run it again.'
  );
}

/** A tool input for an event: long strings (a whole file's content) shortened. */
function abbreviate(value: unknown): unknown {
  if (typeof value === 'string') return capText(value, EVENT_TEXT_LIMIT / 4);
  if (Array.isArray(value)) return value.map(abbreviate);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, abbreviate(v)]));
  return value;
}
