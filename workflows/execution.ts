import { executeChild, setHandler, upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import { AgentExecutionStatusKey } from '../common/search-attributes.ts';
import type { Status } from '../common/statuses.ts';
import { type ExecutionInput, type ExecutionState, executionCreatedEvent, runWorkflowId, stateQuery } from './definitions.ts';
import { recordEvent } from './record-event.ts';
import { runWorkflow } from './run.ts';

/**
 * One execution: workflow `execution-<executionId>`. For now it runs a single run and ends with that
 * run's outcome; the lifecycle issue makes it wait for follow-ups, retries and plan decisions.
 */
export async function executionWorkflow(input: ExecutionInput): Promise<ExecutionState> {
  const state: ExecutionState = { executionId: input.executionId, status: 'pending', currentRunId: null, runCount: 0 };
  setHandler(stateQuery, () => state);
  const setStatus = (status: Status) => {
    state.status = status;
    upsertSearchAttributes([{ key: AgentExecutionStatusKey, value: status }]);
  };

  await recordEvent(executionCreatedEvent(input));

  const runId = uuid4();
  const index = ++state.runCount;
  state.currentRunId = runId;
  setStatus('running');
  const outcome = await executeChild(runWorkflow, {
    workflowId: runWorkflowId(input.executionId, index),
    args: [{ executionId: input.executionId, runId, index, trigger: 'initial', turnNumber: 1, attempt: 1 }],
  });
  setStatus(outcome.status);
  return state;
}
