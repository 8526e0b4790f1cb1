import { modelProblem } from '../common/models.ts';
import { type AgentRow, findAgent } from '../db/agents.ts';
import type { Database } from '../db/client.ts';
import type { ModelChoice } from '../workflows/definitions.ts';
import { ApiError } from './errors.ts';

/**
 * The agent a new execution runs and the model it uses (the request's override, else the agent's).
 * 422 when the agent is missing or disabled, or the model's provider is not configured: a request
 * that cannot run is refused now, not failed later.
 */
export async function chooseAgentModel(
  db: Database,
  tenantId: string,
  agentId: string,
  override?: ModelChoice,
): Promise<{ agent: AgentRow; model: ModelChoice }> {
  const agent = await findAgent(db, tenantId, agentId);
  if (!agent) throw new ApiError(422, 'agent_unavailable', `agent "${agentId}" does not exist`);
  if (!agent.enabled) throw new ApiError(422, 'agent_unavailable', `agent "${agentId}" is disabled`);
  const model = override ?? { provider: agent.provider, model: agent.model };
  const problem = modelProblem(model);
  if (problem) throw new ApiError(422, 'model_not_configured', problem);
  return { agent, model };
}
