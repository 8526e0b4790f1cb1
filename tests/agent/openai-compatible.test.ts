import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAIServer, startFakeOpenAIServer } from '../helpers/fake-openai-server.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

// The whole path with a real provider client: the worker's openai-compatible provider streams from a
// local server that speaks the OpenAI chat-completions protocol (a tool call, then text, with usage).
describe('the openai-compatible provider, end to end', () => {
  let fake: FakeOpenAIServer;
  let stack: TestStack;

  beforeAll(async () => {
    fake = await startFakeOpenAIServer([
      {
        toolCall: { name: 'write_file', arguments: { path: 'hello.txt', content: 'hi\n' } },
        usage: { prompt_tokens: 1200, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 1000 } },
      },
      { text: 'Wrote hello.txt.', usage: { prompt_tokens: 1300, completion_tokens: 8 } },
    ]);
    process.env.OPENAI_COMPATIBLE_BASE_URL = `${fake.baseURL}/v1`;
    process.env.OPENAI_COMPATIBLE_API_KEY = 'local-key';
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  it('runs a tool call and an answer through the real provider client', async () => {
    const id = await stack.createExecution({
      projectId: 'compat',
      prompt: 'Say hi in a file',
      planMode: 'never',
      model: { provider: 'openai-compatible', model: 'local-model' },
    });
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.status).toBe('completed');
    expect(done.runs[0].summary).toBe('Wrote hello.txt.');
    expect(fs.readFileSync(path.join(stack.dataDir, 'workspaces', id, 'hello.txt'), 'utf8')).toBe('hi\n');
    // Usage as the server reported it; no price for this model, so cost unknown rather than 0.
    expect(done.totals.usage).toEqual({ inputTokens: 2500, outputTokens: 48, cachedInputTokens: 1000, reasoningTokens: 0, costUsd: null });

    expect(fake.requests).toHaveLength(2);
    const [first, second] = fake.requests as any[];
    expect(first).toMatchObject({ model: 'local-model', stream: true });
    expect(first.tools.map((t: any) => t.function.name)).toContain('write_file');
    expect(first.messages[0]).toMatchObject({ role: 'system' });
    expect(first.messages.at(-1)).toEqual({ role: 'user', content: 'Say hi in a file' });
    // The second request carries the assistant's tool call and the tool's result.
    const toolMessage = second.messages.find((m: any) => m.role === 'tool');
    expect(toolMessage.content).toContain('hello.txt');
    expect(fake.received[0]!.headers.authorization).toBe('Bearer local-key');
  });
});
