/** The statuses of runs and executions, exactly as the API and the ExecutionStatus search attribute spell them. */
export const STATUSES = ['pending', 'queued', 'running', 'awaiting_approval', 'waiting_permission', 'completed', 'failed', 'cancelled'] as const;
export type Status = (typeof STATUSES)[number];

export const TERMINAL_STATUSES: readonly Status[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (status: Status): boolean => TERMINAL_STATUSES.includes(status);
/** An execution in one of these is at work or about to be (it holds or waits for its project's slot). */
export const ACTIVE_STATUSES: readonly Status[] = STATUSES.filter((status) => !isTerminal(status));

export const PLAN_MODES = ['always', 'never', 'auto'] as const;
export type PlanMode = (typeof PLAN_MODES)[number];
