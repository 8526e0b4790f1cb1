// Types, signals and queries shared by the workflows and their clients (the API, tests, operators).
import { defineQuery } from '@temporalio/workflow';
import type { NewEvent } from '../common/events.ts';
import type { PlanMode, Status } from '../common/statuses.ts';

export const TASK_QUEUE_DEFAULT = 'agent-runs';

export const executionWorkflowId = (executionId: string): string => `execution-${executionId}`;
export const runWorkflowId = (executionId: string, index: number): string => `execution-${executionId}-run-${index}`;

export interface ExecutionInput {
  executionId: string;
  projectId: string;
  ownerId: string;
  agentId?: string;
  prompt: string;
  planMode: PlanMode;
  /** Chosen by the API, which writes the same event: whichever write comes second is a no-op. */
  createdEventId: string;
  createdAt: string;
}

export type RunTrigger = 'initial';

export interface RunInput {
  executionId: string;
  runId: string;
  /** 1, 2, ... within the execution. */
  index: number;
  trigger: RunTrigger;
  turnNumber: number;
  attempt: number;
}

export interface RunError {
  type: string;
  message: string;
}

export type RunOutcome =
  | { status: 'completed'; summary: string }
  | { status: 'failed'; error: RunError };

/** What the `state` query answers: the live state of an execution workflow. */
export interface ExecutionState {
  executionId: string;
  status: Status;
  currentRunId: string | null;
  runCount: number;
}

export const stateQuery = defineQuery<ExecutionState>('state');

/** The `execution.created` event, written by both the API and the workflow under one id. */
export function executionCreatedEvent(input: ExecutionInput): NewEvent {
  const { executionId, ownerId, projectId, agentId, prompt, planMode } = input;
  return {
    eventId: input.createdEventId,
    type: 'execution.created',
    executionId,
    actor: { kind: 'user', id: ownerId },
    occurredAt: input.createdAt,
    payload: { projectId, ownerId, agentId, prompt, planMode },
  };
}
