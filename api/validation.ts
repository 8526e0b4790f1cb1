import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

/** Validates input against a schema; any problem is a 400 naming each field. */
export function validate<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw new ApiError(400, 'invalid_request', message);
}

/** Reads the request body as JSON and validates it. */
export async function readJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid_json', 'request body must be valid JSON');
  }
  return validate(schema, body);
}
