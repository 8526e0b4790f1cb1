import { Context } from '@temporalio/activity';

/**
 * Runs `work` while heartbeating every second, so the activity's heartbeat timeout (5 s) detects
 * a lost worker, and a stop reaches the activity, within seconds however long the work takes.
 */
export async function withHeartbeats<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const heartbeat = setInterval(() => context.heartbeat(), 1000);
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
  }
}
