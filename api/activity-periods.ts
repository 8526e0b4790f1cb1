import { statusAfter } from '../common/status-events.ts';
import { isTerminal, type Status } from '../common/statuses.ts';

/**
 * Seed 001's "Agent Timeline": when an execution was working and when it was waiting.
 *
 * `running` is active, and so is `pending`: a pending run is one whose workspace and prompt the
 * worker is preparing (a run that must wait for its project's slot says so with `run.queued`).
 * `queued`, `awaiting_approval` and `waiting_permission` are waiting. Terminal statuses end the
 * period before them; the idle time between a finished run and the next request is in no period.
 */
export type ActivityState = 'active' | 'waiting';

export interface ActivityPeriod {
  state: ActivityState;
  status: Status;
  /** The run it belongs to; null only before the execution's first run exists. */
  runId: string | null;
  startedAt: string;
  /** null while the period is still going on. */
  endedAt: string | null;
  /** Up to now for an open period. */
  durationMs: number;
}

export interface Activity {
  periods: ActivityPeriod[];
  activeMs: number;
  waitingMs: number;
}

/** Statuses in which the agent works (pending: its workspace is being prepared); the others wait. */
const WORKING: readonly Status[] = ['pending', 'running'];

/** Periods from an execution's status-changing events, in cursor order (other events are ignored). */
export function activityPeriods(events: ReadonlyArray<{ type: string; runId: string | null; occurredAt: string }>, now = Date.now()): Activity {
  const periods: ActivityPeriod[] = [];
  let open: { status: Status; runId: string | null; start: number } | undefined;
  let last = 0;
  const close = (end: number | null) => {
    if (!open) return;
    const { status, runId, start } = open;
    periods.push({
      state: WORKING.includes(status) ? 'active' : 'waiting',
      status,
      runId,
      startedAt: new Date(start).toISOString(),
      endedAt: end === null ? null : new Date(end).toISOString(),
      durationMs: Math.max(0, (end ?? now) - start),
    });
    open = undefined;
  };

  for (const event of events) {
    const status = statusAfter(event.type);
    if (!status) continue;
    // Workflow and worker clocks differ by milliseconds: keep time moving forward in cursor order.
    last = Math.max(last, Date.parse(event.occurredAt));
    const at = last;
    if (open?.status === status) {
      open.runId ??= event.runId; // execution.created, then its first run.created: one pending period
      continue;
    }
    close(at);
    if (!isTerminal(status)) open = { status, runId: event.runId, start: at };
  }
  close(null);

  const total = (state: ActivityState) => periods.filter((p) => p.state === state).reduce((sum, p) => sum + p.durationMs, 0);
  return { periods, activeMs: total('active'), waitingMs: total('waiting') };
}
