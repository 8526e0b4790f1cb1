import { Hono } from 'hono';
import { z } from 'zod';
import { isTerminal, type Status } from '../../common/statuses.ts';
import { listBackgroundExecutions } from '../../db/background-agents.ts';
import { findExecution } from '../../db/executions.ts';
import { allRunEvents } from '../../db/run-events.ts';
import type { Caller } from '../../db/tokens.ts';
import { stopUpdate } from '../../workflows/definitions.ts';
import { chooseAgentModel } from '../agent-model.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, actorOf, requirePermission, requireToken } from '../auth.ts';
import { backgroundAgentView, splitActive } from '../background-agent-view.ts';
import { decide } from '../decide.ts';
import { ApiError } from '../errors.ts';
import { accessTo, loadStoppableExecutionRow, loadVisibleExecution } from '../execution-access.ts';
import { projectForNewExecution } from '../project-access.ts';
import { runTimeline } from '../run-timeline.ts';
import { startExecution } from '../start-execution.ts';
import { nonBlank, readJsonBody, validate } from '../validation.ts';

/** What a background agent started without a task is asked to do: its instructions say the rest. */
export const DEFAULT_BACKGROUND_TASK = 'Carry out your standing instructions.';

const startBody = z.strictObject({
  agentId: nonBlank(200),
  task: nonBlank(100_000).optional(),
  /** The project whose workspace and queue it uses; default `background-<agentId>`. */
  projectId: nonBlank(200).optional(),
});
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/**
 * Seed 002's background-agents API, as a thin view over executions: starting one creates an
 * execution marked `background` (plan mode `never`: nobody is watching), stopping one cancels it,
 * and the list shows the caller's background executions. Same tokens and permissions as `/v1`.
 */
export function backgroundAgentRoutes(deps: AppDeps) {
  const { db } = deps;
  const loadInstance = async (instanceId: string, caller: Caller) => {
    const found = await loadVisibleExecution(db, instanceId, caller);
    if (!found.execution.background) throw new ApiError(404, 'not_found', `no background agent ${instanceId}`);
    return found;
  };

  return new Hono<AuthEnv>()
    .use('*', requireToken(db))
    .get('/', requirePermission('execution:read'), async (c) => {
      const { limit } = validate(listQuery, c.req.query());
      const found = await listBackgroundExecutions(db, c.var.caller.id, limit);
      return c.json(splitActive(found.map(({ execution, runs }) => backgroundAgentView(execution, runs))));
    })
    .post('/start', requirePermission('execution:create'), async (c) => {
      const body = await readJsonBody(c, startBody);
      const projectId = body.projectId ?? `background-${body.agentId}`;
      const { agent, model } = await chooseAgentModel(db, { tenantId: c.var.caller.tenantId, projectId }, body.agentId);
      await projectForNewExecution(db, c.var.caller, projectId);
      const id = await startExecution(deps, c.var.caller, {
        projectId,
        prompt: body.task ?? DEFAULT_BACKGROUND_TASK,
        planMode: 'never',
        model,
        agentId: agent.id,
        approvalTimeoutMs: 86_400_000,
        background: true,
      });
      const found = await findExecution(db, id);
      // Accepted once started; if its row is not written yet, the workflow writes it.
      return c.json(found ? backgroundAgentView(found.execution, found.runs) : { instanceId: id, status: 'pending', active: true }, 201);
    })
    .get('/:instanceId/logs', requirePermission('execution:read'), async (c) => {
      // The panel's expandable log entries: each run's timeline steps (as GET /v1/runs/:id/timeline).
      const { execution, runs } = await loadInstance(c.req.param('instanceId'), c.var.caller);
      const logs = await Promise.all(
        runs.map(async (run) => ({ runId: run.id, number: run.number, status: run.status, entries: runTimeline(await allRunEvents(db, run)) })),
      );
      return c.json({ instanceId: execution.id, runs: logs });
    })
    .post('/:instanceId/stop', requirePermission('execution:cancel'), async (c) => {
      const execution = await loadStoppableExecutionRow(db, c.req.param('instanceId'), c.var.caller);
      if (!execution.background) throw new ApiError(404, 'not_found', `no background agent ${execution.id}`);
      if (isTerminal(execution.status as Status)) {
        throw new ApiError(409, 'invalid_state', `cannot stop background agent ${execution.id}: it is already ${execution.status}`);
      }
      if ((await decide(deps, execution.id, stopUpdate, { by: actorOf(c.var.caller) })) === 'closed') {
        // Its workflow had closed (terminated by an operator): now recorded as cancelled, nothing is left to stop.
        const found = await findExecution(db, execution.id);
        // An admin who may stop it but not see it hears only that it stopped.
        if (!(await accessTo(db, found!.execution, c.var.caller))) return c.json({ instanceId: execution.id, status: found!.execution.status });
        return c.json(backgroundAgentView(found!.execution, found!.runs), 200);
      }
      return c.json({ instanceId: execution.id, action: 'stop', accepted: true }, 200);
    });
}
