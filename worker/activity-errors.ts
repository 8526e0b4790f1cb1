import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, Next } from '@temporalio/worker';
import { capText } from '../common/cap-text.ts';

/** SQLSTATE classes of errors that go away by themselves: connection, rollback (deadlock), resources, shutdown, system. */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '40', '53', '57', '58'];
const MESSAGE_LIMIT = 500;

/**
 * Turns a database error escaping an activity into an ApplicationFailure that says what Postgres
 * said and nothing more: a failed query's error names its SQL and every parameter (a whole transcript,
 * text with NULs), which must not become a run's stored error message. Errors Postgres will give
 * again (bad data, limits) are non-retryable `storage_rejected`, so a run's bookkeeping fails fast
 * into its fallback instead of retrying forever; connection trouble stays retryable.
 */
export class DatabaseErrorInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      throw describeDatabaseError(err) ?? err;
    }
  }
}

export const databaseErrorInterceptors = (): ActivityInterceptors => ({ inbound: new DatabaseErrorInterceptor() });

/** An ApplicationFailure for a database error (found anywhere in the cause chain), or undefined for other errors. */
export function describeDatabaseError(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return undefined;
  // drizzle's DrizzleQueryError carries `query` and `params`; Postgres's own error (postgres-js, PGlite) a `severity` and a SQLSTATE `code`.
  const query = findInChain(err, (e) => 'query' in e && 'params' in e);
  const pg = findInChain(err, (e) => typeof e.code === 'string' && typeof e.severity === 'string');
  if (!query && !pg) return undefined;
  const code = pg?.code as string | undefined;
  const said = pg ? String(pg.message) : String((query?.cause as Error | undefined)?.message ?? 'the query failed');
  const transient = code === undefined || !/^[0-9A-Z]{5}$/.test(code) || TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2));
  return ApplicationFailure.create({
    type: transient ? 'database_unavailable' : 'storage_rejected',
    message: capText(`the database refused the write${code ? ` (${code})` : ''}: ${said}`, MESSAGE_LIMIT),
    nonRetryable: !transient,
  });
}

type ErrorLike = Error & { code?: unknown; severity?: unknown; cause?: unknown; query?: unknown };

function findInChain(err: unknown, match: (e: ErrorLike) => boolean): ErrorLike | undefined {
  for (let e = err as ErrorLike | undefined, depth = 0; e && typeof e === 'object' && depth < 8; e = e.cause as ErrorLike, depth++) {
    if (match(e)) return e;
  }
  return undefined;
}
