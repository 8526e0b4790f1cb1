import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An error the API answers with `{ "error": { "code", "message" } }` and its HTTP status. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  /** More fields of the error object, like the scope that disables an agent. */
  readonly details: Record<string, unknown>;
  constructor(status: ContentfulStatusCode, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const errorBody = (code: string, message: string, details: Record<string, unknown> = {}) => ({ error: { code, ...details, message } });

/** The app's one error handler: known errors keep their status; anything else is a logged 500. */
export function handleError(err: Error, c: Context) {
  if (err instanceof ApiError) {
    // A body refused for its size was not read to its end: the connection cannot carry another request.
    if (err.status === 413) c.header('Connection', 'close');
    return c.json(errorBody(err.code, err.message, err.details), err.status);
  }
  console.error(`[api] ${c.req.method} ${c.req.path} failed:`, err);
  return c.json(errorBody('internal', 'internal error'), 500);
}

export const notFound = (c: Context) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
