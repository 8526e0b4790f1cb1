import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** What one workflow (every run of its continue-as-new chain) cost Temporal. */
export interface HistoryCounts {
  events: number;
  workflowTasks: number;
  activities: number;
  /** Local activities (markers in the history), counted apart: they cost no task of their own. */
  localActivities: number;
  timers: number;
  signals: number;
  /** The longest history of one run of the chain. */
  longestRun: number;
  runs: number;
}

export const emptyCounts = (): HistoryCounts => ({
  events: 0,
  workflowTasks: 0,
  activities: 0,
  localActivities: 0,
  timers: 0,
  signals: 0,
  longestRun: 0,
  runs: 0,
});

/** Sums the histories of every run of each workflow id (continue-as-new chains included). */
export async function countHistories(client: Client, workflowIds: string[]): Promise<HistoryCounts> {
  const total = emptyCounts();
  for (const workflowId of workflowIds) {
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      const events = (await client.workflow.getHandle(workflowId, run.runId).fetchHistory()).events ?? [];
      total.runs++;
      total.longestRun = Math.max(total.longestRun, events.length);
      for (const event of events) {
        total.events++;
        if (event.workflowTaskCompletedEventAttributes) total.workflowTasks++;
        if (event.activityTaskScheduledEventAttributes) total.activities++;
        if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') total.localActivities++;
        if (event.timerStartedEventAttributes) total.timers++;
        if (event.workflowExecutionSignaledEventAttributes) total.signals++;
      }
    }
  }
  return total;
}

export const eventTimeMs = (event: HistoryEvent): number => Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;

/**
 * When the first activity (of `activityType`, when given) scheduled at or after `afterMs` started,
 * or undefined when none has finished yet (a started event is written once the attempt ends).
 */
export async function activityStartedAfter(client: Client, workflowId: string, afterMs: number, activityType?: string): Promise<number | undefined> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = new Map<string, HistoryEvent>();
  for (const event of events) {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes && eventTimeMs(event) >= afterMs && (!activityType || attributes.activityType?.name === activityType)) {
      scheduled.set(String(event.eventId), event);
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started && scheduled.has(String(started.scheduledEventId))) return eventTimeMs(event);
  }
  return undefined;
}
