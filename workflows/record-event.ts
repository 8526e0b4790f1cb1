import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { NewEvent } from '../common/events.ts';

// Writing the audit log must never give up: a database outage delays the workflow, it loses nothing.
const { recordEvent: recordEventActivity } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Records an audit event from workflow code. The event id comes from the workflow's deterministic
 * uuid4, so a retried activity or a replayed workflow writes the same id and adds no row.
 */
export function recordEvent(event: Omit<NewEvent, 'eventId' | 'occurredAt'> & { eventId?: string; occurredAt?: string }) {
  // The summary names the event in the Temporal UI's timeline.
  return recordEventActivity.executeWithOptions({ summary: `record ${event.type}` }, [
    { eventId: uuid4(), occurredAt: new Date().toISOString(), ...event },
  ]);
}
