import { ApplicationFailure } from '@temporalio/activity';
import type { Database } from '../db/client.ts';
import { findExecution } from '../db/executions.ts';

/**
 * The placeholder for the agent: reads the execution's prompt from Postgres (workflows carry only
 * ids) and answers with a short summary. The lifecycle and agent-runtime issues replace its insides.
 */
export function createDemoRun(db: Database) {
  return async function performDemoRun(input: { executionId: string; runId: string }): Promise<{ summary: string }> {
    const found = await findExecution(db, input.executionId);
    if (!found) {
      throw ApplicationFailure.nonRetryable(`execution ${input.executionId} is not in the database`, 'not_found');
    }
    const prompt = found.execution.prompt.replace(/\s+/g, ' ').trim();
    const excerpt = prompt.length > 80 ? `${prompt.slice(0, 77)}...` : prompt;
    return { summary: `Demo agent finished: "${excerpt}"` };
  };
}
