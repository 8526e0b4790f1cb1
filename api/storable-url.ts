import { createMiddleware } from 'hono/factory';
import { unstorableProblem } from '../common/storable-text.ts';
import { ApiError } from './errors.ts';

/**
 * Refuses a request whose path or query holds text Postgres cannot store (a NUL, a lone surrogate),
 * with a 400 naming the query parameter or the path segment, before any route looks it up.
 */
export const refuseUnstorableUrl = createMiddleware(async (c, next) => {
  for (const [name, values] of Object.entries(c.req.queries())) {
    const nameProblem = unstorableProblem(name);
    if (nameProblem) throw new ApiError(400, 'invalid_request', `query parameter name ${JSON.stringify(name)}: ${nameProblem}`);
    for (const value of values) {
      const problem = unstorableProblem(value);
      if (problem) throw new ApiError(400, 'invalid_request', `${name}: ${problem}`);
    }
  }
  for (const [i, segment] of c.req.path.split('/').entries()) {
    // The router decodes each run of escapes on its own, so a %00 counts even where the whole segment does not decode.
    const problem = /%00/i.test(segment) ? unstorableProblem('\u0000') : unstorableProblem(decodeSegment(segment));
    if (problem) throw new ApiError(400, 'invalid_request', `path segment ${i} (${JSON.stringify(decodeSegment(segment))}): ${problem}`);
  }
  await next();
});

/** A path segment decoded as the router decodes its parameters (left as it is when it is not valid percent-encoding). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
