import type { Context } from 'hono';
import { z } from 'zod';
import { findUnstorableText, nestingDepth } from '../common/storable-text.ts';
import { ApiError } from './errors.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Arrays and objects nested deeper than this in a request are refused: nothing the API takes needs more. */
export const MAX_JSON_DEPTH = 64;

/** A string that is not empty after trimming, and not longer than `max`. */
export const nonBlank = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** Validates input against a schema; any problem is a 400 naming each field. */
export function validate<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
  throw new ApiError(400, 'invalid_request', message);
}

/** Reads the request body as JSON and validates it. */
export async function readJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  return validate(schema, parseJson(await c.req.text()));
}

/** Action bodies are optional: an empty body is `{}`. */
export async function readOptionalJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  return text.trim() === '' ? {} : parseJson(text);
}

/**
 * Parses JSON from a client (a request body, a WebSocket message). Text Postgres cannot store (NUL,
 * lone surrogates) is refused here, naming the field, so nothing accepted can fail to be written later.
 */
export function parseJson(text: string, what = 'request body'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid_json', `${what} must be valid JSON`);
  }
  if (nestingDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new ApiError(400, 'invalid_request', `${what}: JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  const unstorable = findUnstorableText(value);
  if (unstorable) throw new ApiError(400, 'invalid_request', `${unstorable.path || what}: ${unstorable.problem}`);
  return value;
}
