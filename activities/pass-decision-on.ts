import { activityInfo } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type DecisionResult, REFUSAL_CODES } from '../workflows/definitions.ts';

/** Workflows cannot send Updates: an execution passes a decision on to its run through this activity. */
export function createDecisionActivities(client: Client) {
  return {
    /**
     * Sends a decision to the run as an Update and answers with the run's verdict: its result, or its
     * refusal as a non-retryable failure of the same type. Retried attempts reuse one update id, so a
     * decision the run took once is not judged again (as "already decided").
     */
    async passDecisionOn(input: { workflowId: string; name: string; arg: unknown }): Promise<DecisionResult> {
      const { workflowExecution, activityId } = activityInfo();
      const updateId = `${workflowExecution?.runId}-${activityId}`;
      try {
        return await client.workflow
          .getHandle(input.workflowId)
          .executeUpdate<DecisionResult, [unknown]>(input.name, { args: [input.arg], updateId });
      } catch (err) {
        // The run's refusal; any other failure (Temporal unreachable for now) is retried.
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && REFUSAL_CODES.includes(err.cause.type ?? '')) {
          throw ApplicationFailure.create({ type: err.cause.type ?? undefined, message: err.cause.message, nonRetryable: true });
        }
        if (err instanceof WorkflowNotFoundError) {
          throw ApplicationFailure.create({ type: 'invalid_state', message: `cannot ${input.name}: the run has just ended`, nonRetryable: true });
        }
        throw err;
      }
    },
  };
}
