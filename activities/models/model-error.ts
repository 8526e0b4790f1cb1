import {
  APICallError,
  InvalidArgumentError,
  InvalidPromptError,
  LoadAPIKeyError,
  NoSuchModelError,
  UnsupportedFunctionalityError,
} from '@ai-sdk/provider';
import { RetryError } from 'ai';

export interface ModelErrorClass {
  /** Worth trying the same step again later. */
  retryable: boolean;
  type: 'model_auth' | 'model_request' | 'model_unavailable';
  message: string;
}

/** Status codes that say "later": timeout, conflict, rate limit. Every 5xx too. */
const TRY_LATER = new Set([408, 409, 429]);

/** Error codes of Node and undici when the connection fails, not the request. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * What a failed model call means for the run: a bad key (fix the configuration), a request the
 * provider refuses (retrying sends the same request), or a provider that is busy or unreachable
 * (try again later). The AI SDK has already retried what it retries; its RetryError is unwrapped to
 * the last error it saw. Anything unrecognised counts as a refused request, so that a bug does not
 * retry forever.
 */
export function classifyModelError(err: unknown): ModelErrorClass {
  const error = RetryError.isInstance(err) ? err.lastError : err;

  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const message = status === undefined ? error.message : `HTTP ${status}: ${error.message}`;
    if (status === undefined) return { retryable: true, type: 'model_unavailable', message };
    if (status === 401 || status === 403) return { retryable: false, type: 'model_auth', message };
    if (TRY_LATER.has(status) || status >= 500) return { retryable: true, type: 'model_unavailable', message };
    if (status >= 400) return { retryable: false, type: 'model_request', message };
    return { retryable: error.isRetryable, type: error.isRetryable ? 'model_unavailable' : 'model_request', message };
  }
  if (LoadAPIKeyError.isInstance(error)) return { retryable: false, type: 'model_auth', message: error.message };
  if (
    InvalidPromptError.isInstance(error) ||
    InvalidArgumentError.isInstance(error) ||
    UnsupportedFunctionalityError.isInstance(error) ||
    NoSuchModelError.isInstance(error)
  ) {
    return { retryable: false, type: 'model_request', message: error.message };
  }
  const network = networkFailure(error);
  if (network) return { retryable: true, type: 'model_unavailable', message: network };
  return { retryable: false, type: 'model_request', message: error instanceof Error ? error.message : String(error) };
}

/** "fetch failed (ECONNREFUSED)" when the error, or one of its causes, is a connection failure or a timeout. */
function networkFailure(err: unknown): string | undefined {
  const outer = err instanceof Error ? err.message : String(err);
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return `${outer} (${code})`;
    if (current.name === 'TimeoutError') return outer;
    if (current.name === 'TypeError' && /^(fetch failed|terminated)$/.test(current.message)) {
      const cause = current.cause instanceof Error ? current.cause.message : undefined;
      return cause ? `${outer} (${cause})` : outer;
    }
    current = current.cause;
  }
  return undefined;
}
