import { APICallError } from '@ai-sdk/provider';
import { generateText, type ModelMessage, streamText, type TextStreamPart, type ToolSet, tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoModel } from '../../activities/models/demo-model.ts';
import { toStepUsage } from '../../activities/models/usage.ts';
import type { DemoModelId } from '../../common/models.ts';

// The tools as the runtime declares them: no execute, our own code runs them. Here the test does.
const WORK_TOOLS = {
  read_file: tool({ description: 'Read a file', inputSchema: z.object({ path: z.string() }) }),
  write_file: tool({ description: 'Write a file', inputSchema: z.object({ path: z.string(), content: z.string() }) }),
  edit_file: tool({ description: 'Replace text in a file', inputSchema: z.object({ path: z.string(), oldText: z.string(), newText: z.string() }) }),
  list_files: tool({ description: 'List files', inputSchema: z.object({ pattern: z.string() }) }),
  search: tool({ description: 'Search files', inputSchema: z.object({ pattern: z.string(), path: z.string().optional() }) }),
  run_command: tool({ description: 'Run a command', inputSchema: z.object({ command: z.string(), timeoutMs: z.number().optional() }) }),
};
const PLAN_TOOLS = {
  propose_plan: tool({ description: 'Propose a plan', inputSchema: z.object({ plan: z.string() }) }),
  read_file: WORK_TOOLS.read_file,
  list_files: WORK_TOOLS.list_files,
  search: WORK_TOOLS.search,
};

const SYSTEM = 'You are a careful engineer.\n\n## How you work\nUse the tools.';

interface Step {
  parts: Array<TextStreamPart<ToolSet>>;
  toolCalls: Array<{ toolCallId: string; toolName: string; input: unknown }>;
  text: string;
  usage: ReturnType<typeof toStepUsage>;
}

/** One model step, as the runtime makes it: one streamText call, its response appended to the messages. */
async function step(model: DemoModelId, system: string, messages: ModelMessage[], tools: ToolSet): Promise<Step> {
  const result = streamText({ model: createDemoModel(model), instructions: system, messages, tools, maxRetries: 0, onError: () => {} });
  const parts: Step['parts'] = [];
  for await (const part of result.fullStream) {
    if (part.type === 'error') throw part.error; // as the model-step activity does
    parts.push(part);
  }
  const [responseMessages, toolCalls, text, usage] = await Promise.all([result.responseMessages, result.toolCalls, result.text, result.usage]);
  messages.push(...responseMessages);
  return { parts, toolCalls, text, usage: toStepUsage(usage) };
}

function answer(messages: ModelMessage[], call: { toolCallId: string; toolName: string }, value: string, isError = false) {
  messages.push({
    role: 'tool',
    content: [
      {
        type: 'tool-result',
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output: isError ? { type: 'error-text', value } : { type: 'text', value },
      },
    ],
  });
}

/** A small in-memory workspace that carries out the demo's tool calls, like the real tools would. */
function workspace(files: Record<string, string>) {
  return (name: string, input: Record<string, string>): string => {
    switch (name) {
      case 'list_files':
        return Object.keys(files).sort().join('\n');
      case 'read_file':
        return files[input.path!] ?? `no file ${input.path}`;
      case 'write_file':
        files[input.path!] = input.content!;
        return `wrote ${input.path}`;
      case 'edit_file':
        files[input.path!] = files[input.path!]!.replace(input.oldText!, input.newText!);
        return `edited ${input.path}`;
      case 'run_command':
        return `${files['NOTES.md']?.split('\n').length ?? 0} NOTES.md`;
      default:
        return `unknown tool ${name}`;
    }
  };
}

/** Plays the runtime's loop until the model answers in text; `reply` writes each tool result. */
async function runToAnswer(opts: {
  model?: DemoModelId;
  system?: string;
  messages: ModelMessage[];
  tools?: ToolSet;
  reply: (name: string, input: Record<string, string>) => string | { error: string };
}) {
  const calls: Array<{ toolName: string; input: Record<string, string> }> = [];
  const steps: Step[] = [];
  for (let i = 0; i < 12; i++) {
    const s = await step(opts.model ?? 'demo', opts.system ?? SYSTEM, opts.messages, opts.tools ?? WORK_TOOLS);
    steps.push(s);
    if (s.toolCalls.length === 0) return { calls, steps, text: s.text };
    expect(s.toolCalls).toHaveLength(1);
    const call = s.toolCalls[0]!;
    const input = call.input as Record<string, string>;
    calls.push({ toolName: call.toolName, input });
    const reply = opts.reply(call.toolName, input);
    if (typeof reply === 'string') answer(opts.messages, call, reply);
    else answer(opts.messages, call, reply.error, true);
  }
  throw new Error('the demo model did not answer within 12 steps');
}

const user = (content: string): ModelMessage => ({ role: 'user', content });

describe('the demo model', () => {
  it('lists the files, writes NOTES.md, checks it, then answers', async () => {
    const files: Record<string, string> = { 'src/index.ts': 'export {};\n' };
    const { calls, steps, text } = await runToAnswer({ messages: [user('Add a changelog entry\n for   the parser fix')], reply: workspace(files) });

    expect(calls).toEqual([
      { toolName: 'list_files', input: { pattern: '**/*' } },
      { toolName: 'write_file', input: { path: 'NOTES.md', content: '# Notes\n\n- Add a changelog entry for the parser fix\n' } },
      { toolName: 'run_command', input: { command: 'wc -l NOTES.md' } },
    ]);
    expect(text).toBe('Done: "Add a changelog entry for the parser fix".');
    expect(files['NOTES.md']).toBe('# Notes\n\n- Add a changelog entry for the parser fix\n');

    // Every step thinks first; the answer streams in several deltas; finish reasons say what came.
    for (const s of steps) {
      const types = s.parts.map((p) => p.type);
      expect(types.indexOf('reasoning-start')).toBeGreaterThanOrEqual(0);
      expect(types.indexOf('reasoning-end')).toBeLessThan(types.indexOf(s.toolCalls.length ? 'tool-call' : 'text-start'));
      const finish = s.parts.find((p) => p.type === 'finish-step');
      expect(finish && 'finishReason' in finish && finish.finishReason).toBe(s.toolCalls.length ? 'tool-calls' : 'stop');
    }
    const deltas = steps.at(-1)!.parts.flatMap((p) => (p.type === 'text-delta' ? [p.text] : []));
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe(text);
  });

  it('reports deterministic usage: prompt and output characters / 4, reasoning among the output tokens', async () => {
    const prompt = 'Say hello';
    const first = await step('demo', SYSTEM, [user(prompt)], WORK_TOOLS);
    const again = await step('demo', SYSTEM, [user(prompt)], WORK_TOOLS);
    expect(first.usage).toEqual(again.usage);
    expect(first.usage.inputTokens).toBe(Math.ceil((SYSTEM.length + prompt.length) / 4));
    expect(first.usage.reasoningTokens).toBeGreaterThan(0);
    expect(first.usage.outputTokens).toBeGreaterThan(first.usage.reasoningTokens);
    expect(first.usage.cachedInputTokens).toBe(0);

    const { steps } = await runToAnswer({ messages: [user(prompt)], reply: workspace({}) });
    const inputs = steps.map((s) => s.usage.inputTokens);
    expect(inputs).toEqual([...inputs].sort((a, b) => a - b)); // the prompt grows every step
    expect(new Set(inputs).size).toBe(inputs.length);
  });

  it('reads AGENTS.md first when the system prompt has an AGENTS.md section', async () => {
    const system = `${SYSTEM}\n\n## AGENTS.md\nUse tabs.`;
    const { calls } = await runToAnswer({ system, messages: [user('Tidy up')], reply: workspace({ 'AGENTS.md': 'Use tabs.' }) });
    expect(calls.map((c) => [c.toolName, c.input.path ?? c.input.pattern ?? c.input.command])).toEqual([
      ['list_files', '**/*'],
      ['read_file', 'AGENTS.md'],
      ['write_file', 'NOTES.md'],
      ['run_command', 'wc -l NOTES.md'],
    ]);
  });

  it('does not take a mention of AGENTS.md for the section', async () => {
    const { calls } = await runToAnswer({
      system: `${SYSTEM}\nFollow AGENTS.md when there is one.`,
      messages: [user('Tidy up')],
      reply: workspace({}),
    });
    expect(calls.map((c) => c.toolName)).toEqual(['list_files', 'write_file', 'run_command']);
  });

  it('reads, then edits NOTES.md when the listing shows it at the root', async () => {
    const before = '# Notes\n\n- Fix the build\n';
    const files: Record<string, string> = { 'NOTES.md': before, 'src/a.ts': '' };
    const { calls, text } = await runToAnswer({ messages: [user('Bump the version')], reply: workspace(files) });
    expect(calls).toEqual([
      { toolName: 'list_files', input: { pattern: '**/*' } },
      { toolName: 'read_file', input: { path: 'NOTES.md' } },
      { toolName: 'edit_file', input: { path: 'NOTES.md', oldText: before, newText: `${before}- Bump the version\n` } },
      { toolName: 'run_command', input: { command: 'wc -l NOTES.md' } },
    ]);
    expect(files['NOTES.md']).toBe('# Notes\n\n- Fix the build\n- Bump the version\n');
    expect(text).toBe('Done: "Bump the version".');

    // A NOTES.md in a subfolder is not the one it keeps: it writes its own.
    const nested = await runToAnswer({ messages: [user('Bump the version')], reply: workspace({ 'docs/NOTES.md': 'x' }) });
    expect(nested.calls.map((c) => c.toolName)).toEqual(['list_files', 'write_file', 'run_command']);
  });

  it('skips a denied action and goes on with the next', async () => {
    const reply = (name: string, input: Record<string, string>) =>
      name === 'write_file' ? { error: 'Denied: alice did not allow this write_file call.' } : workspace({})(name, input);
    const { calls, text } = await runToAnswer({ messages: [user('Write it down')], reply });
    expect(calls.map((c) => c.toolName)).toEqual(['list_files', 'write_file', 'run_command']);
    expect(text).toBe('Done: "Write it down".');

    // A denied listing: it cannot know NOTES.md is there, so it writes the file.
    const deniedList = await runToAnswer({
      messages: [user('Write it down')],
      reply: (name, input) => (name === 'list_files' ? 'Denied: not now' : workspace({ 'NOTES.md': 'x' })(name, input)),
    });
    expect(deniedList.calls.map((c) => c.toolName)).toEqual(['list_files', 'write_file', 'run_command']);
  });

  it('answers at once when a tool fails unexpectedly, and never calls a tool that is not declared', async () => {
    const failed = await runToAnswer({
      messages: [user('Write it down')],
      reply: (name, input) => (name === 'write_file' ? { error: 'EACCES: permission denied' } : workspace({})(name, input)),
    });
    expect(failed.calls.map((c) => c.toolName)).toEqual(['list_files', 'write_file']);
    expect(failed.text).toBe('Done: "Write it down".');

    const readOnly = { read_file: WORK_TOOLS.read_file, list_files: WORK_TOOLS.list_files };
    const limited = await runToAnswer({ messages: [user('Write it down')], tools: readOnly, reply: workspace({}) });
    expect(limited.calls.map((c) => c.toolName)).toEqual(['list_files']);
    expect(limited.text).toBe('Done: "Write it down".');
  });

  it('proposes plan 1, revises it into plan 2 with the feedback, then works once it is approved', async () => {
    const messages = [user('Refactor the parser into smaller modules')];
    const first = await step('demo', SYSTEM, messages, PLAN_TOOLS);
    expect(first.toolCalls.map((c) => c.toolName)).toEqual(['propose_plan']);
    const plan1 = (first.toolCalls[0]!.input as { plan: string }).plan;
    expect(plan1).toMatch(/^## Plan \(version 1\)\n/);
    expect(plan1).toContain('"Refactor the parser into smaller modules"');
    expect(plan1).not.toContain('Revised after feedback');

    answer(messages, first.toolCalls[0]!, 'Revise the plan: shorter');
    const second = await step('demo', SYSTEM, messages, PLAN_TOOLS);
    const plan2 = (second.toolCalls[0]!.input as { plan: string }).plan;
    expect(second.toolCalls[0]!.toolName).toBe('propose_plan');
    expect(plan2).toMatch(/^## Plan \(version 2\)\n/);
    expect(plan2).toContain('Revised after feedback: "shorter"');

    answer(messages, second.toolCalls[0]!, 'Plan approved. Carry it out now.');
    const { calls, text } = await runToAnswer({ messages, reply: workspace({}) });
    expect(calls.map((c) => c.toolName)).toEqual(['list_files', 'write_file', 'run_command']);
    expect(text).toBe('Done: "Refactor the parser into smaller modules".');
  });

  it('answers a follow-up with the earlier turns as context, long requests cut at 80 characters', async () => {
    const long = `Write the changelog ${'with every detail '.repeat(8)}`;
    const messages: ModelMessage[] = [user(long), { role: 'assistant', content: 'Done: "Write the changelog".' }, user('Now add the release date')];
    const { text } = await runToAnswer({ messages, reply: workspace({}) });
    const cut = long.replace(/\s+/g, ' ').trim().slice(0, 77);
    expect(text).toBe(`Done: "Now add the release date". Context: 1 earlier turn(s), starting with "${cut}...".`);
  });

  it('decides the same with generateText (doGenerate) as with streamText', async () => {
    const result = await generateText({ model: createDemoModel('demo'), instructions: SYSTEM, messages: [user('Say hello')], tools: WORK_TOOLS });
    expect(result.toolCalls.map((c) => [c.toolName, c.input])).toEqual([['list_files', { pattern: '**/*' }]]);
    expect(result.reasoningText).toBeTruthy();
    expect(result.usage.inputTokens).toBe(Math.ceil((SYSTEM.length + 'Say hello'.length) / 4));
  });

  it('demo-fail rejects its first work step with a non-retryable 400, after proposing its plan', async () => {
    const messages = [user('Break, please')];
    const plan = await step('demo-fail', SYSTEM, messages, PLAN_TOOLS);
    expect(plan.toolCalls[0]?.toolName).toBe('propose_plan');
    answer(messages, plan.toolCalls[0]!, 'Plan approved. Carry it out now.');

    const error = await step('demo-fail', SYSTEM, messages, WORK_TOOLS).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false, message: 'demo-fail fails at its first step by design' });
  });

  it('demo-slow takes 3 s a step, and stops promptly when aborted', async () => {
    const started = Date.now();
    const slow = await step('demo-slow', SYSTEM, [user('Take your time')], WORK_TOOLS);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(slow.toolCalls[0]?.toolName).toBe('list_files');

    const model = createDemoModel('demo-slow');
    const controller = new AbortController();
    const aborted = Date.now();
    setTimeout(() => controller.abort(), 100);
    const call = model.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'Take your time' }] }], abortSignal: controller.signal });
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - aborted).toBeLessThan(1000);

    // Through streamText too: the step ends well before its 3 s.
    const stopped = new AbortController();
    const through = Date.now();
    setTimeout(() => stopped.abort(), 100);
    const result = streamText({ model, messages: [user('Take your time')], tools: WORK_TOOLS, abortSignal: stopped.signal, maxRetries: 0 });
    await expect(result.text).rejects.toBeDefined();
    expect(Date.now() - through).toBeLessThan(1000);
  });
});
