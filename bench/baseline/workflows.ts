// The bare Temporal baseline the benchmark compares agent-runs with: the same shape of work (a
// parent starting one child, the child running one activity per model step and per tool call of a
// demo run, each activity one INSERT), with none of agent-runs' bookkeeping.
import { condition, defineSignal, proxyActivities, setHandler, startChild } from '@temporalio/workflow';
import type { BaselineActivities } from './activities.ts';

export interface BaselineInput {
  id: string;
  /** Activities the child runs (model steps plus tool calls of one demo run). */
  steps: number;
  /** Wait for `approveSignal` after the first activity (a plan awaiting approval). */
  approval: boolean;
}

export const approveSignal = defineSignal('approve');

const { step } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });

export async function baselineParent(input: BaselineInput): Promise<void> {
  const child = await startChild(baselineChild, { workflowId: `${input.id}-child`, args: [input] });
  await child.result();
}

export async function baselineChild(input: BaselineInput): Promise<void> {
  let approved = false;
  setHandler(approveSignal, () => {
    approved = true;
  });
  for (let i = 0; i < input.steps; i++) {
    await step({ id: input.id, index: i });
    if (i === 0 && input.approval) await condition(() => approved);
  }
}
