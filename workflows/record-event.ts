import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { NewEvent } from '../common/events.ts';

// Writing the audit log outlasts a database outage (a day of retries: the workflow waits, it loses
// nothing), while a write the database refuses for good is not retried (`storage_rejected`): the
// caller then falls back (a run ends with system_error) instead of wedging.
const { recordEvent: recordEventActivity } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Records an audit event from workflow code. The event id comes from the workflow's deterministic
 * uuid4, so a retried activity or a replayed workflow writes the same id and adds no row.
 */
export function recordEvent(event: WorkflowEvent) {
  // The summary names the event in the Temporal UI's timeline.
  return recordEventActivity.executeWithOptions({ summary: `record ${event.type}` }, [withIds(event)]);
}

export type WorkflowEvent = Omit<NewEvent, 'eventId' | 'occurredAt'> & { eventId?: string; occurredAt?: string };
/** An event from workflow code with its deterministic id and time filled in. */
export const withIds = (event: WorkflowEvent): NewEvent => ({ eventId: uuid4(), occurredAt: new Date().toISOString(), ...event });
