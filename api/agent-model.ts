import { modelProblem } from '../common/models.ts';
import { agentDisabled } from '../db/agent-policy.ts';
import { type AgentRow, findAgent } from '../db/agents.ts';
import type { Database } from '../db/client.ts';
import type { ModelChoice } from '../workflows/definitions.ts';
import { ApiError } from './errors.ts';

/**
 * The agent a new execution runs and the model it uses (the request's override, else the agent's).
 * 422 when the agent is missing or disabled (naming the scope), or the model's provider is not configured: a request
 * that cannot run is refused now, not failed later.
 */
export async function chooseAgentModel(
  db: Database,
  where: { tenantId: string; projectId: string },
  agentId: string,
  override?: ModelChoice,
): Promise<{ agent: AgentRow; model: ModelChoice }> {
  const agent = await findAgent(db, where.tenantId, agentId);
  if (!agent) throw new ApiError(422, 'agent_unavailable', `agent "${agentId}" does not exist`);
  await refuseDisabledAgent(db, agent, where.projectId);
  const model = override ?? { provider: agent.provider, model: agent.model };
  const problem = modelProblem(model);
  if (problem) throw new ApiError(422, 'model_not_configured', problem);
  return { agent, model };
}

/** 422 `agent_disabled` naming the scope that disables the agent for the project (seed 000): no run is created. */
export async function refuseDisabledAgent(db: Database, agent: AgentRow, projectId: string): Promise<void> {
  const disabled = await agentDisabled(db, agent, projectId);
  if (disabled) throw new ApiError(422, 'agent_disabled', disabled.message, { scope: disabled.scope, scopeId: disabled.scopeId });
}
