import { eq } from 'drizzle-orm';
import type { AgentRow } from './agents.ts';
import type { Database } from './client.ts';
import { findProject } from './projects.ts';
import { tenants } from './schema.ts';

/** Which scope disables an agent (seed 000: "an error naming the disabling scope"). */
export interface AgentDisabled {
  scope: 'agent' | 'tenant' | 'project';
  scopeId: string;
  message: string;
}

/**
 * Whether the agent may start a run in the project: disabled by itself (`enabled: false`), by its
 * tenant (`disabledAgents`), or by the project (`disabledAgents`, or `allowedAgents` that leaves it
 * out). Checked when an execution is created and again when each run starts, so a run under way
 * finishes and none starts after.
 */
export async function agentDisabled(db: Database, agent: AgentRow, projectId: string): Promise<AgentDisabled | undefined> {
  if (!agent.enabled) return { scope: 'agent', scopeId: agent.id, message: `agent "${agent.id}" is disabled` };
  const [tenant] = await db.select({ disabledAgents: tenants.disabledAgents }).from(tenants).where(eq(tenants.id, agent.tenantId));
  if (tenant?.disabledAgents.includes(agent.id)) {
    return { scope: 'tenant', scopeId: agent.tenantId, message: `agent "${agent.id}" is disabled for tenant ${agent.tenantId}` };
  }
  const project = await findProject(db, agent.tenantId, projectId);
  if (project?.disabledAgents.includes(agent.id)) {
    return { scope: 'project', scopeId: projectId, message: `agent "${agent.id}" is disabled in project ${projectId}` };
  }
  if (project?.allowedAgents && !project.allowedAgents.includes(agent.id)) {
    return {
      scope: 'project',
      scopeId: projectId,
      message: `agent "${agent.id}" is not among the agents project ${projectId} allows (${project.allowedAgents.join(', ') || 'none'})`,
    };
  }
  return undefined;
}
