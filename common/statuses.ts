/** The statuses of runs and executions, exactly as the API and the ExecutionStatus search attribute spell them. */
export const STATUSES = [
  'pending',
  'queued',
  'running',
  'awaiting_approval',
  'waiting_permission',
  'completed',
  'failed',
  'cancelled',
] as const;
export type Status = (typeof STATUSES)[number];

export const TERMINAL_STATUSES: readonly Status[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (status: Status): boolean => TERMINAL_STATUSES.includes(status);

export const PLAN_MODES = ['always', 'never', 'auto'] as const;
export type PlanMode = (typeof PLAN_MODES)[number];
