import { APICallError } from '@ai-sdk/provider';
import { RetryError, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyModelError } from '../../activities/models/model-error.ts';
import { resolveModel } from '../../activities/models/providers.ts';
import { freePort } from '../../scripts/free-port.ts';
import { type FakeOpenAIServer, startFakeOpenAIServer } from '../helpers/fake-openai-server.ts';

const apiError = (statusCode: number | undefined, message: string) =>
  new APICallError({ message, url: 'https://api.example.com/v1/chat/completions', requestBodyValues: {}, statusCode });

describe('classifyModelError', () => {
  it.each([
    [429, 'Rate limit reached', { retryable: true, type: 'model_unavailable' }],
    [500, 'The server had an error', { retryable: true, type: 'model_unavailable' }],
    [503, 'Overloaded', { retryable: true, type: 'model_unavailable' }],
    [408, 'Request timeout', { retryable: true, type: 'model_unavailable' }],
    [401, 'Incorrect API key provided', { retryable: false, type: 'model_auth' }],
    [403, 'Your organization may not use this model', { retryable: false, type: 'model_auth' }],
    [400, 'Invalid schema for function read_file', { retryable: false, type: 'model_request' }],
    [404, 'The model gpt-9 does not exist', { retryable: false, type: 'model_request' }],
    [422, 'Unprocessable', { retryable: false, type: 'model_request' }],
  ])('HTTP %i → %o', (status, message, expected) => {
    expect(classifyModelError(apiError(status, message))).toEqual({ ...expected, message: `HTTP ${status}: ${message}` });
  });

  it('takes a failed connection for an unavailable provider', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const fetchFailed = new TypeError('fetch failed', { cause: refused });
    expect(classifyModelError(fetchFailed)).toEqual({
      retryable: true,
      type: 'model_unavailable',
      message: 'fetch failed (connect ECONNREFUSED 127.0.0.1:1)',
    });

    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyModelError(reset)).toMatchObject({ retryable: true, type: 'model_unavailable' });
    expect(classifyModelError(new DOMException('The operation timed out.', 'TimeoutError'))).toMatchObject({
      retryable: true,
      type: 'model_unavailable',
    });
    expect(classifyModelError(apiError(undefined, 'Cannot connect to API: other side closed'))).toMatchObject({
      retryable: true,
      type: 'model_unavailable',
    });
  });

  it('unwraps the AI SDK RetryError to its last error', () => {
    const retried = new RetryError({
      message: 'Failed after 2 attempts. Last error: Incorrect API key provided',
      reason: 'maxRetriesExceeded',
      errors: [apiError(429, 'Rate limit reached'), apiError(401, 'Incorrect API key provided')],
    });
    expect(classifyModelError(retried)).toEqual({ retryable: false, type: 'model_auth', message: 'HTTP 401: Incorrect API key provided' });
  });

  it('counts an error it does not know as a refused request, so that a bug is not retried forever', () => {
    expect(classifyModelError(new TypeError("Cannot read properties of undefined (reading 'content')"))).toMatchObject({
      retryable: false,
      type: 'model_request',
    });
    expect(classifyModelError('a string')).toEqual({ retryable: false, type: 'model_request', message: 'a string' });
  });
});

describe('classifyModelError on what streamText really throws', () => {
  let fake: FakeOpenAIServer;
  beforeAll(async () => {
    fake = await startFakeOpenAIServer([
      { error: { status: 401, message: 'Incorrect API key provided' } },
      { error: { status: 429, message: 'Rate limit reached' } },
      { error: { status: 429, message: 'Rate limit reached again' } },
    ]);
  });
  afterAll(() => fake?.close());

  async function failure(env: NodeJS.ProcessEnv, maxRetries: number): Promise<unknown> {
    const result = streamText({
      model: resolveModel({ provider: 'openai-compatible', model: 'local-model' }, env),
      prompt: 'hi',
      maxRetries,
      onError: () => {},
    });
    for await (const part of result.fullStream) if (part.type === 'error') return part.error;
    throw new Error('the stream did not fail');
  }

  it('a 401, a 429 after the SDK retried it, and a refused connection', async () => {
    const env = { OPENAI_COMPATIBLE_BASE_URL: `${fake.baseURL}/v1` };
    expect(classifyModelError(await failure(env, 1))).toEqual({
      retryable: false,
      type: 'model_auth',
      message: 'HTTP 401: Incorrect API key provided',
    });

    const rateLimited = await failure(env, 1); // two attempts, both 429: a RetryError
    expect(RetryError.isInstance(rateLimited)).toBe(true);
    expect(classifyModelError(rateLimited)).toEqual({ retryable: true, type: 'model_unavailable', message: 'HTTP 429: Rate limit reached again' });

    const closed = await freePort();
    expect(classifyModelError(await failure({ OPENAI_COMPATIBLE_BASE_URL: `http://127.0.0.1:${closed}/v1` }, 0))).toEqual({
      retryable: true,
      type: 'model_unavailable',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});
