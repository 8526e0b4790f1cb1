/** Shared formatting of times, durations and money. */

export const ENDED = new Set(['completed', 'failed', 'cancelled']);

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export const formatTime = (iso: string) => new Date(iso).toLocaleString();

export const formatCost = (usd: number | null | undefined) => (usd === null || usd === undefined ? 'unknown' : `$${usd.toFixed(4)}`);

/** How long an execution has run: to its last change once it has ended, to now while it works. */
export function executionDuration(execution: { status: string; createdAt: string; updatedAt: string }): string {
  const end = ENDED.has(execution.status) ? Date.parse(execution.updatedAt) : Date.now();
  return formatDuration(end - Date.parse(execution.createdAt));
}
