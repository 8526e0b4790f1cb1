import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes every execution workflow carries, so operators can find it in the Temporal UI and CLI. */

/**
 * The execution's agent-runs status (pending, queued, running, awaiting_approval, ...). Not named
 * `ExecutionStatus`: Temporal reserves that name for its own workflow status (Running, Completed, ...).
 */
export const AgentExecutionStatusKey = defineSearchAttributeKey('AgentExecutionStatus', SearchAttributeType.KEYWORD);
export const ProjectIdKey = defineSearchAttributeKey('ProjectId', SearchAttributeType.KEYWORD);
export const OwnerIdKey = defineSearchAttributeKey('OwnerId', SearchAttributeType.KEYWORD);
export const AgentIdKey = defineSearchAttributeKey('AgentId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [AgentExecutionStatusKey, ProjectIdKey, OwnerIdKey, AgentIdKey];

/** The attributes an execution workflow starts with: who owns it, its project and agent, and its status. */
export function executionSearchAttributes(execution: { projectId: string; ownerId: string; agentId?: string | null }) {
  return [
    { key: ProjectIdKey, value: execution.projectId },
    { key: OwnerIdKey, value: execution.ownerId },
    ...(execution.agentId ? [{ key: AgentIdKey, value: execution.agentId }] : []),
  ];
}
