import { APICallError } from '@ai-sdk/provider';
import { type LanguageModel, type ModelMessage, streamText, tool } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resolveModel } from '../../activities/models/providers.ts';
import { toStepUsage } from '../../activities/models/usage.ts';
import { CONFIG_VARS } from '../../common/config.ts';
import { modelProblem, PROVIDERS } from '../../common/models.ts';
import { type FakeOpenAIServer, type FakeResponse, startFakeOpenAIServer } from '../helpers/fake-openai-server.ts';

const TOOLS = {
  read_file: tool({ description: 'Read a file', inputSchema: z.object({ path: z.string() }) }),
  list_files: tool({ description: 'List files', inputSchema: z.object({ pattern: z.string() }) }),
};

let fake: FakeOpenAIServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function serve(script: FakeResponse[]) {
  fake = await startFakeOpenAIServer(script);
  return fake;
}

describe('modelProblem', () => {
  it.each([
    ['demo', 'demo', {}, undefined],
    ['demo', 'demo-slow', {}, undefined],
    ['demo', 'demo-fail', {}, undefined],
    ['demo', 'demo-fast', {}, 'provider "demo" has no model "demo-fast" (available: demo, demo-slow, demo-fail)'],
    ['openai', 'gpt-5', {}, /provider "openai" is not configured: set OPENAI_API_KEY/],
    ['openai', 'gpt-5', { OPENAI_API_KEY: '   ' }, /OPENAI_API_KEY/],
    ['openai', 'gpt-5', { ANTHROPIC_API_KEY: 'sk-ant' }, /OPENAI_API_KEY/],
    ['openai', 'gpt-5', { OPENAI_API_KEY: 'sk-test' }, undefined],
    ['openai', 'any-model-id', { OPENAI_API_KEY: 'sk-test' }, undefined],
    ['openai', ' ', { OPENAI_API_KEY: 'sk-test' }, 'provider "openai" needs a model id'],
    ['anthropic', 'claude-sonnet-4-5', {}, /provider "anthropic" is not configured: set ANTHROPIC_API_KEY/],
    ['anthropic', 'claude-sonnet-4-5', { ANTHROPIC_API_KEY: 'sk-ant' }, undefined],
    [
      'openai-compatible',
      'llama3',
      { OPENAI_COMPATIBLE_API_KEY: 'k' },
      /provider "openai-compatible" is not configured: set OPENAI_COMPATIBLE_BASE_URL/,
    ],
    ['openai-compatible', 'llama3', { OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1' }, undefined],
    ['mistral', 'large', {}, 'unknown provider "mistral" (available: demo, openai, anthropic, openai-compatible)'],
    ['constructor', 'x', {}, /unknown provider "constructor"/],
  ])('%s/%s with %o', (provider, model, env, expected) => {
    const problem = modelProblem({ provider, model }, env);
    if (expected === undefined) expect(problem).toBeUndefined();
    else if (typeof expected === 'string') expect(problem).toBe(expected);
    else expect(problem).toMatch(expected);
  });

  it('needs only variables the configuration documents', () => {
    for (const provider of Object.values(PROVIDERS)) for (const name of provider.requiredEnv) expect(Object.keys(CONFIG_VARS)).toContain(name);
  });
});

describe('resolveModel', () => {
  it('refuses an unconfigured provider with the words of modelProblem', () => {
    expect(() => resolveModel({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, {})).toThrow(
      modelProblem({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, {})!,
    );
    expect(() => resolveModel({ provider: 'demo', model: 'demo-fast' }, {})).toThrow(/has no model "demo-fast"/);
  });

  it('gives the offline demo model for demo', () => {
    const model = resolveModel({ provider: 'demo', model: 'demo-slow' }, {}) as Exclude<LanguageModel, string>;
    expect(model).toMatchObject({ specificationVersion: 'v4', provider: 'demo', modelId: 'demo-slow' });
  });

  it('streams a tool call, then text, from an OpenAI-compatible server, with usage', async () => {
    const server = await serve([
      {
        toolCall: { name: 'read_file', arguments: { path: 'README.md' } },
        usage: { prompt_tokens: 1200, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 1000 } },
      },
      {
        text: 'The README says hello to the world.',
        usage: { prompt_tokens: 1300, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 1200 } },
      },
    ]);
    const model = resolveModel({ provider: 'openai-compatible', model: 'local-model' }, { OPENAI_COMPATIBLE_BASE_URL: `${server.baseURL}/v1` });
    const messages: ModelMessage[] = [{ role: 'user', content: 'What does the README say?' }];

    const first = streamText({ model, instructions: 'You are helpful.', messages, tools: TOOLS, maxRetries: 0 });
    const [toolCalls, usage, finishReason, responseMessages] = await Promise.all([
      first.toolCalls,
      first.usage,
      first.finishReason,
      first.responseMessages,
    ]);
    expect(toolCalls.map((c) => [c.toolName, c.input])).toEqual([['read_file', { path: 'README.md' }]]);
    expect(finishReason).toBe('tool-calls');
    expect(toStepUsage(usage)).toEqual({ inputTokens: 1200, outputTokens: 40, cachedInputTokens: 1000, reasoningTokens: 0 });

    const body = server.requests[0]!;
    expect(body).toMatchObject({ model: 'local-model', stream: true, stream_options: { include_usage: true } });
    expect((body.tools as Array<{ function: { name: string } }>).map((t) => t.function.name)).toEqual(['read_file', 'list_files']);
    expect(server.received[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(server.received[0]!.headers.authorization).toBeUndefined(); // no key configured, none sent

    messages.push(...responseMessages, {
      role: 'tool',
      content: [
        { type: 'tool-result', toolCallId: toolCalls[0]!.toolCallId, toolName: 'read_file', output: { type: 'text', value: '# Hello, world' } },
      ],
    });
    const second = streamText({ model, instructions: 'You are helpful.', messages, tools: TOOLS, maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of second.textStream) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('The README says hello to the world.');
    expect(toStepUsage(await second.usage)).toEqual({ inputTokens: 1300, outputTokens: 9, cachedInputTokens: 1200, reasoningTokens: 0 });
    const sent = server.requests[1]!.messages as Array<{ role: string; tool_call_id?: string; content?: unknown }>;
    expect(sent.at(-1)).toMatchObject({ role: 'tool', tool_call_id: toolCalls[0]!.toolCallId, content: '# Hello, world' });
  });

  it('sends OPENAI_COMPATIBLE_API_KEY as a bearer token', async () => {
    const server = await serve([{ text: 'ok' }]);
    const env = { OPENAI_COMPATIBLE_BASE_URL: `${server.baseURL}/v1`, OPENAI_COMPATIBLE_API_KEY: 'local-key' };
    await streamText({ model: resolveModel({ provider: 'openai-compatible', model: 'm' }, env), prompt: 'hi', maxRetries: 0 }).text;
    expect(server.received[0]!.headers.authorization).toBe('Bearer local-key');
  });

  it.each([
    ['openai', { OPENAI_API_KEY: 'sk-test' }, 'OPENAI_BASE_URL', '/v1/responses', 'authorization', 'Bearer sk-test'],
    ['anthropic', { ANTHROPIC_API_KEY: 'sk-ant-test' }, 'ANTHROPIC_BASE_URL', '/v1/messages', 'x-api-key', 'sk-ant-test'],
  ])('%s takes its key and base URL from the given environment', async (provider, keys, baseVar, path, header, value) => {
    const server = await serve([]); // answers 404 on these paths: enough to see what arrived where
    const env = { ...keys, [baseVar]: `${server.baseURL}/v1` };
    const result = streamText({ model: resolveModel({ provider, model: 'some-model' }, env), prompt: 'hi', maxRetries: 0, onError: () => {} });
    let error: unknown;
    for await (const part of result.fullStream) if (part.type === 'error') error = part.error;
    expect(APICallError.isInstance(error) && error.url).toBe(`${server.baseURL}${path}`);
    expect(server.received[0]).toMatchObject({ method: 'POST', path });
    expect(server.received[0]!.headers[header]).toBe(value);
  });
});
