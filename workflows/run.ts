import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { RunError, RunInput, RunOutcome } from './definitions.ts';
import { recordEvent } from './record-event.ts';

const { performDemoRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

/** One bounded attempt at an execution's work: child workflow `execution-<executionId>-run-<index>`. */
export async function runWorkflow(input: RunInput): Promise<RunOutcome> {
  const { executionId, runId, turnNumber, attempt } = input;
  const common = { executionId, runId, turnNumber, attempt };
  await recordEvent({ ...common, type: 'run.started', payload: { index: input.index, trigger: input.trigger } });

  try {
    const { summary } = await performDemoRun({ executionId, runId });
    await recordEvent({ ...common, type: 'run.completed', payload: { summary } });
    return { status: 'completed', summary };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const error = describeFailure(err);
    await recordEvent({ ...common, type: 'run.failed', payload: { error } });
    return { status: 'failed', error };
  }
}

function describeFailure(failure: ActivityFailure): RunError {
  const cause = failure.cause;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'error', message: cause.message };
  return { type: cause?.name ?? 'error', message: cause?.message ?? failure.message };
}
