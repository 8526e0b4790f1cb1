import { Ajv } from 'ajv';
import { Hono } from 'hono';
import { z } from 'zod';
import { TOOL_NAMES } from '../../activities/tools/definitions.ts';
import { BUDGET_LIMITS } from '../../common/budgets.ts';
import { DEMO_MODEL_IDS, isDemoModelId, isProviderName, PROVIDERS } from '../../common/models.ts';
import { type AgentRow, findAgent, listAgents, saveAgent } from '../../db/agents.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { nonBlank, readJsonBody } from '../validation.ts';

/** Tools an agent may be given (propose_plan is offered while planning, to every agent). */
const AGENT_TOOLS = TOOL_NAMES.filter((tool) => tool !== 'propose_plan') as [string, ...string[]];

const agentBody = z.strictObject({
  name: nonBlank(200),
  provider: nonBlank(100),
  model: nonBlank(200),
  systemPrompt: z.string().max(100_000).default(''),
  allowedTools: z.array(z.enum(AGENT_TOOLS)).default([...AGENT_TOOLS]),
  toolsNeedingApproval: z.array(z.enum(AGENT_TOOLS)).default(['run_command']),
  enabled: z.boolean().default(true),
  outputSchema: z.record(z.string(), z.unknown()).nullable().default(null),
  maxSteps: z.number().int().min(BUDGET_LIMITS.maxSteps.min).max(BUDGET_LIMITS.maxSteps.max).default(50),
  maxCostUsd: z.number().min(BUDGET_LIMITS.maxCostUsd.min).max(BUDGET_LIMITS.maxCostUsd.max).nullable().default(5),
  maxDurationMs: z.number().int().min(BUDGET_LIMITS.maxDurationMs.min).max(BUDGET_LIMITS.maxDurationMs.max).default(3_600_000),
});

export const agentId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'must be 1-100 characters: lowercase letters, digits, - and _');

/** Agents: `GET /v1/agents`, `GET /v1/agents/:id`, `PUT /v1/agents/:id` (create or replace; permission agent:write). */
export function agentRoutes({ db }: AppDeps) {
  const ajv = new Ajv({ strict: false });
  return new Hono<AuthEnv>()
    .get('/', requirePermission('execution:read'), async (c) => c.json({ items: (await listAgents(db, c.var.caller.tenantId)).map(agentView) }))
    .get('/:id', requirePermission('execution:read'), async (c) => {
      const agent = await findAgent(db, c.var.caller.tenantId, c.req.param('id'));
      if (!agent) throw new ApiError(404, 'not_found', `no agent ${c.req.param('id')}`);
      return c.json(agentView(agent));
    })
    .put('/:id', requirePermission('agent:write'), async (c) => {
      const id = agentId.safeParse(c.req.param('id'));
      if (!id.success) throw new ApiError(400, 'invalid_request', `agent id ${id.error.issues[0]!.message}`);
      const body = await readJsonBody(c, agentBody);
      // An unknown provider or demo model is refused; keys may be configured later (creating an execution checks them).
      if (!isProviderName(body.provider))
        throw new ApiError(400, 'invalid_request', `unknown provider "${body.provider}" (available: ${Object.keys(PROVIDERS).join(', ')})`);
      if (body.provider === 'demo' && !isDemoModelId(body.model))
        throw new ApiError(400, 'invalid_request', `provider "demo" has no model "${body.model}" (available: ${DEMO_MODEL_IDS.join(', ')})`);
      const strays = body.toolsNeedingApproval.filter((tool) => !body.allowedTools.includes(tool));
      if (strays.length) throw new ApiError(400, 'invalid_request', `toolsNeedingApproval: ${strays.join(', ')} not in allowedTools`);
      if (body.outputSchema) {
        try {
          ajv.compile(body.outputSchema);
        } catch (err) {
          throw new ApiError(400, 'invalid_request', `outputSchema is not a valid JSON Schema: ${(err as Error).message}`);
        }
      }
      const { created, agent } = await saveAgent(db, c.var.caller.tenantId, { id: id.data, ...body });
      return c.json(agentView(agent), created ? 201 : 200);
    });
}

const agentView = ({ tenantId: _tenant, ...agent }: AgentRow) => ({
  ...agent,
  createdAt: agent.createdAt.toISOString(),
  updatedAt: agent.updatedAt.toISOString(),
});
