import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { DEFAULT_AGENT_ID } from '../../common/agents.ts';
import type { Actor } from '../../common/events.ts';
import { executionSearchAttributes } from '../../common/search-attributes.ts';
import { ACTIVE_STATUSES, isTerminal, type Status } from '../../common/statuses.ts';
import { findAgent } from '../../db/agents.ts';
import { appendEvent } from '../../db/events.ts';
import { findExecution, findRunIndex } from '../../db/executions.ts';
import {
  approvePlanUpdate,
  approveToolUpdate,
  denyToolUpdate,
  executionWorkflowId,
  rejectPlanUpdate,
  resumeUpdate,
  retryUpdate,
  revisePlanUpdate,
  sendMessageUpdate,
  stopUpdate,
} from '../../workflows/definitions.ts';
import type { executionWorkflow } from '../../workflows/execution.ts';
import { refuseDisabledAgent } from '../agent-model.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, actorOf, requirePermission } from '../auth.ts';
import { decide } from '../decide.ts';
import { ApiError } from '../errors.ts';
import { accessTo, loadActionableExecutionRow, loadStoppableExecutionRow } from '../execution-access.ts';
import { describeExecution } from '../execution-view.ts';
import { requireProjectAccess } from '../project-access.ts';
import { MAX_BODY_BYTES, nonBlank, readOptionalJson, validate } from '../validation.ts';

const planVersion = z.number().int().min(1).optional();
const bodies = {
  approve: z.strictObject({ planVersion }),
  revise: z.strictObject({ feedback: nonBlank(20_000), planVersion }),
  reject: z.strictObject({ reason: nonBlank(2000).optional(), planVersion }),
  message: z.strictObject({ text: nonBlank(MAX_BODY_BYTES) }),
  none: z.strictObject({}),
};
const cancelQuery = z.strictObject({ wait: z.enum(['true', 'false']).optional() });

const WAIT_FOR_CANCEL_MS = 60_000;

/**
 * Actions on an execution. Each is checked against the execution's recorded status first (a quick
 * 409 naming it), then sent as a Workflow Update, whose validator gives the real verdict: 200 once
 * accepted, 409 when refused, 503 when no worker answers in time (nothing changes). Message, retry
 * and resume use update-with-start, which reopens an execution whose workflow closed while idle.
 */
export function executionActionRoutes(deps: AppDeps) {
  const { db } = deps;

  // The recorded status for the quick check: the execution's row alone (one query on the way to the workflow).
  async function current(c: Context<AuthEnv>, load = loadActionableExecutionRow) {
    const execution = await load(db, c.req.param('id')!, c.var.caller);
    return { execution, status: execution.status as Status };
  }
  const by = (c: Context<AuthEnv>): Actor => actorOf(c.var.caller);
  const accepted = (c: Context<AuthEnv>, executionId: string, action: string, extra: Record<string, unknown> = {}) =>
    c.json({ executionId, action, accepted: true, ...extra }, 200);

  /** The index of the run a person's decision goes to (the run judges it). */
  async function waitingRun(runId: string | null, action: string): Promise<number> {
    const index = runId ? await findRunIndex(db, runId) : undefined;
    if (index === undefined) throw runEnded(action);
    return index;
  }

  const planRoute = (decision: 'approve' | 'revise' | 'reject') => async (c: Context<AuthEnv>) => {
    const body = validate(bodies[decision], await readOptionalJson(c));
    const { execution, status } = await current(c);
    const plan = execution.pendingPlan;
    await requireProjectAccess(db, c.var.caller, execution.projectId);
    if (status !== 'awaiting_approval' || !plan) throw conflict(`${decision} a plan`, status, 'only while awaiting_approval');
    const version = body.planVersion ?? plan.version;
    if (version !== plan.version) {
      throw new ApiError(409, 'stale_plan_version', `plan version ${version} is not the one awaiting approval (version ${plan.version})`);
    }
    const update = { approve: approvePlanUpdate, revise: revisePlanUpdate, reject: rejectPlanUpdate }[decision];
    const payload = {
      planVersion: version,
      by: by(c),
      ...('feedback' in body && { feedback: body.feedback }),
      ...('reason' in body && { reason: body.reason }),
    };
    const result = await decide(deps, execution.id, update, payload, { run: await waitingRun(plan.runId, `${decision} a plan`) });
    if (result === 'ended') throw runEnded(`${decision} a plan`);
    if (result === 'closed') throw closedConflict(`${decision} a plan`);
    return accepted(c, execution.id, `${decision}Plan`, { planVersion: version });
  };

  const toolRoute = (decision: 'approve' | 'deny') => async (c: Context<AuthEnv>) => {
    validate(bodies.none, await readOptionalJson(c));
    const { execution, status } = await current(c);
    const callId = c.req.param('callId')!;
    const pending = execution.pendingToolCallId;
    await requireProjectAccess(db, c.var.caller, execution.projectId);
    if (status !== 'waiting_permission' || !pending) throw conflict(`${decision} a tool call`, status, 'only while waiting_permission');
    if (pending !== callId) {
      throw new ApiError(409, 'stale_tool_call', `tool call ${callId} is not the one awaiting permission (${pending})`);
    }
    const update = decision === 'approve' ? approveToolUpdate : denyToolUpdate;
    const run = await waitingRun(execution.currentRunId, `${decision} a tool call`);
    const result = await decide(deps, execution.id, update, { callId, by: by(c) }, { run });
    if (result === 'ended') throw runEnded(`${decision} a tool call`);
    if (result === 'closed') throw closedConflict(`${decision} a tool call`);
    return accepted(c, execution.id, `${decision}Tool`, { callId });
  };

  const reopeningRoute =
    (action: 'message' | 'retry' | 'resume', allowed: (status: Status) => boolean, rule: string) => async (c: Context<AuthEnv>) => {
      const body = validate(action === 'message' ? bodies.message : bodies.none, await readOptionalJson(c));
      const { execution, status } = await current(c);
      if (!allowed(status)) throw conflict(action === 'message' ? 'send a message' : action, status, rule);
      // New work is a run in the project: only for those who may still work there, of an agent still allowed there.
      await requireProjectAccess(db, c.var.caller, execution.projectId);
      const agent = await findAgent(db, execution.tenantId, execution.agentId ?? DEFAULT_AGENT_ID);
      if (agent) await refuseDisabledAgent(db, agent, execution.projectId);
      // A closed (idle) workflow is started again with only the execution's id: it loads the rest.
      const start = new WithStartWorkflowOperation<typeof executionWorkflow>('executionWorkflow', {
        taskQueue: deps.taskQueue,
        workflowId: executionWorkflowId(execution.id),
        args: [
          {
            reopen: {
              executionId: execution.id,
              tenantId: execution.tenantId,
              projectId: execution.projectId,
              idleTimeoutMs: deps.executionIdleTimeoutMs,
            },
          },
        ],
        typedSearchAttributes: executionSearchAttributes(execution),
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      const payload = { ...body, by: by(c) };
      const update = { message: sendMessageUpdate, retry: retryUpdate, resume: resumeUpdate }[action];
      const result = await decide(deps, execution.id, update as typeof retryUpdate, payload, { start });
      if (result === 'closed') throw closedConflict(action === 'message' ? 'send a message' : action);
      // New work brings an archived execution back: it must not run unseen by lists and the status summary.
      if (execution.archivedAt) {
        await appendEvent(db, {
          eventId: randomUUID(),
          type: 'execution.unarchived',
          executionId: execution.id,
          actor: by(c),
          occurredAt: new Date().toISOString(),
          payload: { reason: action },
        });
      }
      return accepted(c, execution.id, action === 'message' ? 'sendMessage' : action);
    };

  const create = requirePermission('execution:create');
  return new Hono<AuthEnv>()
    .post('/:id/plan/approve', create, planRoute('approve'))
    .post('/:id/plan/revise', create, planRoute('revise'))
    .post('/:id/plan/reject', create, planRoute('reject'))
    .post('/:id/tools/:callId/approve', create, toolRoute('approve'))
    .post('/:id/tools/:callId/deny', create, toolRoute('deny'))
    .post(
      '/:id/messages',
      create,
      reopeningRoute('message', (s) => isTerminal(s), 'only when the execution is idle (completed, failed or cancelled)'),
    )
    .post(
      '/:id/retry',
      create,
      reopeningRoute('retry', (s) => s === 'failed', 'only after failed'),
    )
    .post(
      '/:id/resume',
      create,
      reopeningRoute('resume', (s) => s === 'cancelled', 'only after cancelled'),
    )
    .post('/:id/cancel', requirePermission('execution:cancel'), async (c) => {
      const { wait } = validate(cancelQuery, c.req.query());
      validate(bodies.none, await readOptionalJson(c));
      const { execution, status } = await current(c, loadStoppableExecutionRow);
      if (!ACTIVE_STATUSES.includes(status)) throw conflict('cancel', status, `only while ${ACTIVE_STATUSES.join(', ')}`);
      const runId = execution.currentRunId;
      if ((await decide(deps, execution.id, stopUpdate, { by: by(c) })) === 'closed' || wait === 'true') {
        // Confirmed stop: the run's end is recorded only after its activities have stopped. (A workflow
        // that had closed, terminated by an operator, is recorded as cancelled already.)
        const deadline = Date.now() + WAIT_FOR_CANCEL_MS;
        while (Date.now() < deadline) {
          const found = await findExecution(db, execution.id);
          const run = found?.runs.find((r) => r.id === runId);
          const ended = found && (isTerminal(found.execution.status as Status) || (run && isTerminal(run.status as Status)));
          // An admin who may stop it but not see it hears only that it stopped.
          if (ended && !(await accessTo(db, found.execution, c.var.caller)))
            return c.json({ executionId: execution.id, status: found.execution.status });
          if (ended) return c.json(await describeExecution(deps, found.execution, found.runs), 200);
          await sleep(200);
        }
        throw new ApiError(504, 'timeout', `the run did not stop within ${WAIT_FOR_CANCEL_MS / 1000} s; the stop is still under way`);
      }
      return accepted(c, execution.id, 'stop');
    });
}

/** A decision for an execution whose workflow turned out to have closed (now recorded as cancelled). */
const closedConflict = (action: string) =>
  new ApiError(
    409,
    'invalid_state',
    `cannot ${action}: the execution's workflow has closed (ended by an operator), so the execution is now cancelled`,
  );

const runEnded = (action: string) => new ApiError(409, 'invalid_state', `cannot ${action}: the run has just ended`);

function conflict(action: string, status: Status, rule: string): ApiError {
  return new ApiError(409, 'invalid_state', `cannot ${action} while the execution is ${status}: allowed ${rule}`);
}
