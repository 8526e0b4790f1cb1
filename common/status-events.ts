import type { Status } from './statuses.ts';

/** The status a run (and so its execution) is in after each run event. */
export const RUN_STATUS_AFTER: Readonly<Record<string, Status>> = {
  'run.created': 'pending',
  'run.queued': 'queued',
  'run.started': 'running',
  'plan.proposed': 'awaiting_approval',
  'plan.approved': 'running',
  'plan.revision_requested': 'running',
  'tool.permission_requested': 'waiting_permission',
  'tool.approved': 'running',
  'tool.denied': 'running',
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
};

/** Events that end an execution whatever its runs did (an operator closed its workflow). */
export const EXECUTION_ENDED_TYPES = ['execution.cancelled', 'execution.terminated'] as const;

/** Events that change how an execution shows in lists without changing its status. */
export const EXECUTION_LISTING_TYPES = ['execution.created', 'execution.archived', 'execution.unarchived'] as const;

/** Every event type a status stream (`GET /v1/stream`, the sidebar) carries. */
export const STATUS_EVENT_TYPES: readonly string[] = [...Object.keys(RUN_STATUS_AFTER), ...EXECUTION_ENDED_TYPES, ...EXECUTION_LISTING_TYPES];

/** The execution's status after an event, when the event changes it. */
export function statusAfter(type: string): Status | undefined {
  if (type === 'execution.created') return 'pending';
  if ((EXECUTION_ENDED_TYPES as readonly string[]).includes(type)) return 'cancelled';
  return RUN_STATUS_AFTER[type];
}
