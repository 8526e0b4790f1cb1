import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClosedExecutionActivities, type TerminatedScanPage, type TerminatedScanResult } from '../../activities/closed-executions.ts';
import { startMaintenance } from '../../worker/start-maintenance.ts';
import { executionWorkflowId } from '../../workflows/definitions.ts';
import { maintenanceWorkflowId } from '../../workflows/maintenance.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// More executions terminated at once than one page holds: the maintenance scan reads them page by
// page (PAGE_SIZE per activity call, heartbeating after each), and a page that fails is read again
// at the next interval without stopping the workflow.
const EXECUTIONS = 12;
const PAGE_SIZE = 5;
const replayOptions = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') } });

describe('the maintenance scan after a mass terminate', () => {
  let stack: TestStack;
  let ids: string[] = [];
  const calls: Array<{ input: TerminatedScanPage; result?: TerminatedScanResult }> = [];
  let failNextContinuation = true;

  beforeAll(async () => {
    stack = await startTestStack({
      activities: (standard) => ({
        ...standard,
        async recordTerminatedExecutions(input) {
          if (input.pageSize !== PAGE_SIZE) return standard.recordTerminatedExecutions(input);
          if (input.pageToken && failNextContinuation) {
            failNextContinuation = false;
            calls.push({ input });
            throw ApplicationFailure.nonRetryable('injected page failure');
          }
          const result = await standard.recordTerminatedExecutions(input);
          calls.push({ input, result });
          return result;
        },
      }),
    });
    // The stack's own maintenance (default page size) must not record them first.
    await stack.env.client.workflow.getHandle(maintenanceWorkflowId(stack.taskQueue)).terminate('replaced by the test');

    const project = `mass-terminate-${Date.now()}`;
    ids = await Promise.all(
      Array.from({ length: EXECUTIONS }, (_, i) =>
        stack.createExecution({ projectId: `${project}-${i}`, prompt: 'terminate me', planMode: 'never' }),
      ),
    );
    await Promise.all(ids.map((id) => stack.waitForStatus(id, 'completed')));
    await Promise.all(ids.map((id) => stack.env.client.workflow.getHandle(executionWorkflowId(id)).terminate('mass terminate')));
    const query = `WorkflowType="executionWorkflow" AND TaskQueue="${stack.taskQueue}" AND ExecutionStatus="Terminated"`;
    await waitFor('the terminated workflows to be visible', async () =>
      (await stack.env.client.workflow.count(query)).count === EXECUTIONS ? true : undefined,
    );
  }, 120_000);
  afterAll(async () => {
    await stack?.env.client.workflow
      .getHandle(maintenanceWorkflowId(stack.taskQueue))
      .terminate('test done')
      .catch(() => {});
    await stack?.close();
  });

  it('records every terminated execution, page by page, past a failed page', async () => {
    await startMaintenance(stack.env.client, stack.taskQueue, 1000, PAGE_SIZE);
    for (const id of ids) await stack.waitForStatus(id, 'cancelled');
    for (const id of ids) {
      expect(
        (await stack.events(id)).filter((e) => e.type === 'execution.terminated'),
        id,
      ).toHaveLength(1);
    }

    // The first scan: a page of PAGE_SIZE with a token, its next page failed once and was read
    // again (same token) at the next interval, and the scan went on to its end.
    const done = calls.filter((c) => c.result);
    expect(done.every((c) => c.result!.recorded <= PAGE_SIZE)).toBe(true);
    const failed = calls.findIndex((c) => !c.result);
    expect(failed).toBeGreaterThan(0);
    const failedToken = calls[failed]!.input.pageToken;
    expect(calls[failed - 1]!.result).toMatchObject({ recorded: PAGE_SIZE, pageToken: failedToken });
    expect(calls[failed + 1]!.input.pageToken).toBe(failedToken);
    expect(calls[failed + 1]!.result?.recorded).toBe(PAGE_SIZE);
    const scan = calls.slice(failed + 1);
    const last = scan.findIndex((c) => !c.result?.pageToken);
    expect(last).toBeGreaterThan(0);
    expect(scan.slice(0, last + 1).reduce((n, c) => n + c.result!.recorded, PAGE_SIZE)).toBe(EXECUTIONS);

    const handle = stack.env.client.workflow.getHandle(maintenanceWorkflowId(stack.taskQueue));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // Its history, with the pages and the failed one, replays.
    await expect(Worker.runReplayHistory(replayOptions(), await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
  });

  it('one activity call records at most a page, heartbeats each, and a retried attempt skips what was recorded', async () => {
    const { recordTerminatedExecutions } = createClosedExecutionActivities(stack.database.db, stack.env.client);
    const run = async (
      input: TerminatedScanPage,
      heartbeatDetails?: unknown,
    ): Promise<{ result: TerminatedScanResult; heartbeats: Array<{ done: string[] }> }> => {
      const env = new MockActivityEnvironment(heartbeatDetails === undefined ? {} : { heartbeatDetails });
      const heartbeats: Array<{ done: string[] }> = [];
      env.on('heartbeat', (details) => heartbeats.push(details));
      const result = (await env.run(() => recordTerminatedExecutions(input))) as TerminatedScanResult;
      return { result, heartbeats };
    };

    const first = await run({ taskQueue: stack.taskQueue, pageSize: PAGE_SIZE });
    expect(first.result.recorded).toBe(PAGE_SIZE);
    expect(first.result.pageToken).toEqual(expect.any(String));
    // One heartbeat once the page is read, then one per workflow recorded.
    expect(first.heartbeats.map((h) => h.done.length)).toEqual([0, 1, 2, 3, 4, 5]);
    const pageRuns = first.heartbeats.at(-1)!.done;

    // A retry of that page with the first attempt's progress records only the rest.
    const retried = await run({ taskQueue: stack.taskQueue, pageSize: PAGE_SIZE }, { done: pageRuns.slice(0, 3) });
    expect(retried.result.recorded).toBe(PAGE_SIZE);
    expect(retried.heartbeats.map((h) => h.done.length)).toEqual([3, 4, 5]);
    expect(new Set(retried.heartbeats.at(-1)!.done)).toEqual(new Set(pageRuns));

    // The pages that follow, each from the token the one before returned, cover every run once.
    const seen = new Set(pageRuns);
    let page = first.result;
    while (page.pageToken) {
      const next = await run({ taskQueue: stack.taskQueue, pageSize: PAGE_SIZE, next: page.next, pageToken: page.pageToken });
      expect(next.result.recorded).toBeLessThanOrEqual(PAGE_SIZE);
      expect(next.result.next).toBe(first.result.next);
      for (const runId of next.heartbeats.at(-1)!.done) {
        expect(seen.has(runId)).toBe(false);
        seen.add(runId);
      }
      page = next.result;
    }
    expect(seen.size).toBe(EXECUTIONS);
  });
});

describe('a maintenance workflow started before the scan paged', () => {
  it('replays its history (one activity call per scan, then the timer)', async () => {
    // Recorded with the code before paging: three scans, each one activity call returning `{ next }`.
    const file = path.join(import.meta.dirname, '..', 'fixtures', 'maintenance-before-paging.json');
    const { workflowId, history } = JSON.parse(fs.readFileSync(file, 'utf8'));
    await expect(Worker.runReplayHistory(replayOptions(), temporal.api.history.v1.History.fromObject(history), workflowId)).resolves.toBeUndefined();
  });
});
