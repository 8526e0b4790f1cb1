import type { ModelChoice } from '../workflows/definitions.ts';

/** Where an agent activity writes its event: ids chosen by the workflow, so a retry writes nothing new. */
export interface AgentCall {
  executionId: string;
  runId: string;
  turnNumber: number;
  attempt: number;
  model: ModelChoice;
  eventId: string;
}

/**
 * What the run workflow asks of an agent. The demo provider implements it now; the agent-runtime
 * issue implements it with real models and tools, without changing the workflow.
 */
export interface AgentDriver {
  /** planMode `auto`: does this turn need an approved plan before working? */
  decidePlanNeeded(call: Omit<AgentCall, 'eventId'>): Promise<boolean>;
  /** Writes `plan.proposed` {version, text} and returns its version. */
  proposePlan(call: AgentCall & { version: number; feedback?: string }): Promise<{ version: number }>;
  /** One step of work; writes `run.step`. The last step returns the run's summary. */
  agentStep(call: AgentCall & { step: number }): Promise<{ done: boolean; summary?: string }>;
}
