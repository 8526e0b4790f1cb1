import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { uuidFromName } from '../common/ids.ts';
import { isTerminal, type Status } from '../common/statuses.ts';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { findExecution } from '../db/executions.ts';
import { freeProjectSlot, mendProjectSlots } from './project-slots.ts';

/** How far back each scan looks again, so a close that reached visibility late is not missed. */
const SCAN_OVERLAP_MS = 60_000;
/** Terminated workflows recorded per `recordTerminatedExecutions` call. */
export const DEFAULT_SCAN_PAGE_SIZE = 100;

/** One page of a scan for terminated execution workflows (see `recordTerminatedExecutions`). */
export interface TerminatedScanPage {
  taskQueue: string;
  /** The scan reads workflows closed at or after this time (all, when absent). */
  since?: string;
  /** Where the scan's next one starts: returned by its first page, passed to the later ones. */
  next?: string;
  /** The visibility page to read (base64); absent for a scan's first page. */
  pageToken?: string;
  pageSize?: number;
}

export interface TerminatedScanResult {
  /** Where the next scan starts (once this one is done). */
  next: string;
  /** The scan's next page; absent when this was its last. */
  pageToken?: string;
  /** Workflows on this page (recorded now or by an earlier attempt). */
  recorded: number;
}

/** A page's heartbeat details: the runs it has recorded. */
interface ScanProgress {
  done: string[];
}

/**
 * Execution workflows that ended without running their own code (terminated by an operator) are
 * recorded by these activities, called from the maintenance workflow; what they held of their
 * project's slot is freed.
 */
export function createClosedExecutionActivities(db: Database, client: Client) {
  const activities = {
    /**
     * Records that an execution workflow closed without saying so (terminated by an operator, say):
     * its unfinished run is cancelled (reason `operator`), its project slot freed, and `execution.terminated` appended.
     * Ids derive from the closed workflow run, so a retry or a second report writes nothing new.
     */
    async recordClosedExecution(workflowId: string, runId: string): Promise<void> {
      // Temporal not answering is retried (the activity fails); a workflow it no longer knows has nothing to record.
      const description = await client.workflow
        .getHandle(workflowId, runId)
        .describe()
        .catch((err) => {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        });
      // Only a workflow that ended without recording it (terminated, timed out, failed): one that completed
      // (closed idle), was cancelled or continued as new said so itself.
      if (!description || !['TERMINATED', 'TIMED_OUT', 'FAILED'].includes(description.status.name)) return;
      const executionId = workflowId.replace(/^execution-/, '');
      const found = await findExecution(db, executionId);
      if (!found) return;
      const closedAt = description.closeTime ?? new Date();
      const occurredAt = closedAt.toISOString();
      const actor = { kind: 'operator' as const, id: 'temporal' };
      // Only a run that this workflow run had under way: the execution may have been reopened since.
      const run = found.runs.find((r) => r.id === found.execution.currentRunId);
      if (run && !isTerminal(run.status as Status) && run.startedAt <= closedAt) {
        await appendEvent(db, {
          eventId: uuidFromName(`${runId}:run.cancelled`),
          type: 'run.cancelled',
          executionId,
          runId: run.id,
          turnNumber: run.turnNumber,
          attempt: run.attempt,
          actor,
          occurredAt,
          payload: { reason: 'operator' },
        });
      }
      // Its project slot is freed for the next in line (nothing polls holders).
      await freeProjectSlot(db, client, found.execution, { requesterId: workflowId, requesterRunId: runId });
      await appendEvent(db, {
        eventId: uuidFromName(`${runId}:execution.terminated`),
        type: 'execution.terminated',
        executionId,
        actor,
        occurredAt,
        payload: { temporalStatus: description.status.name },
      });
    },

    /**
     * Records one page (at most `pageSize`) of the execution workflows on this task queue terminated
     * since `since` (all, when absent). A scan is the pages read with one visibility query: its first
     * page is called without `pageToken`, and each later one with the `pageToken` and `next` the page
     * before returned. The returned `pageToken` is absent once the scan is done; `next` is then where
     * the next scan should start. The activity heartbeats after each workflow it records, with the
     * page's progress, so a retried attempt skips what an earlier attempt recorded.
     */
    async recordTerminatedExecutions(input: TerminatedScanPage): Promise<TerminatedScanResult> {
      const context = Context.current();
      const progress = context.info.heartbeatDetails as ScanProgress | undefined;
      const done = new Set(progress?.done ?? []);
      const next = input.next ?? new Date(Date.now() - SCAN_OVERLAP_MS).toISOString();
      const query = [
        `WorkflowType="executionWorkflow"`,
        `TaskQueue="${input.taskQueue}"`,
        // Every way an execution workflow ends without running its own ending (holding its slot, maybe).
        `ExecutionStatus IN ("Terminated", "Failed", "TimedOut")`,
        ...(input.since ? [`CloseTime >= "${input.since}"`] : []),
      ].join(' AND ');
      const page = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query,
        pageSize: input.pageSize ?? DEFAULT_SCAN_PAGE_SIZE,
        nextPageToken: input.pageToken ? Buffer.from(input.pageToken, 'base64') : undefined,
      });
      context.heartbeat({ done: [...done] } satisfies ScanProgress);
      // Each scan also mends project slots whose hand-out news was lost (see mendProjectSlots).
      // A failure there holds up no scan: the next one tries again.
      if (!input.pageToken) {
        await mendProjectSlots(db, client).catch((err) => console.warn(`[worker] mending project slots failed: ${(err as Error).message}`));
      }
      let recorded = 0;
      for (const workflow of page.executions ?? []) {
        const { workflowId, runId } = workflow.execution ?? {};
        if (!workflowId || !runId) continue;
        if (!done.has(runId)) {
          await activities.recordClosedExecution(workflowId, runId);
          done.add(runId);
          context.heartbeat({ done: [...done] } satisfies ScanProgress);
        }
        recorded++;
      }
      const token = page.nextPageToken?.length ? Buffer.from(page.nextPageToken).toString('base64') : undefined;
      return { next, recorded, ...(token && { pageToken: token }) };
    },
  };
  return activities;
}
