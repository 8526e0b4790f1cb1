import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentStack, startAgentStack } from '../helpers/agent-stack.ts';
import { promptText, scriptedModel } from '../helpers/scripted-model.ts';

// Three scripted steps with known usage. Per million tokens: input $2.50, cached input $1.25, output $10.
//   step 1: 100k in, 10k out                       → 0.25 + 0.10              = 0.35
//   step 2: 200k in (150k cached), 5k out           → 0.125 + 0.1875 + 0.05   = 0.3625
//   step 3: 300k in (200k cached), 3k out           → 0.25 + 0.25 + 0.03      = 0.53
// Pricing the cached tokens as plain input would make step 2 cost 0.55 and the run 1.43.
const model = scriptedModel([
  {
    toolCalls: [
      { name: 'edit_file', input: { path: 'src/a.txt', oldText: 'two', newText: '2' } },
      { name: 'write_file', input: { path: 'notes.md', content: '# Notes\n' } },
    ],
    usage: { input: 100_000, output: 10_000 },
  },
  {
    toolCalls: [{ name: 'read_file', input: { path: 'src/a.txt' } }],
    reasoning: 'Check the edit landed.',
    usage: { input: 200_000, cached: 150_000, output: 5_000, reasoning: 700 },
  },
  { text: 'Replaced two with 2 in src/a.txt and started notes.md.', usage: { input: 300_000, cached: 200_000, output: 3_000 } },
]);

describe('a run with tools, usage and cost', () => {
  let stack: AgentStack;
  let executionId: string;
  let execution: any;
  let events: any[];
  let templateDir: string;

  beforeAll(async () => {
    stack = await startAgentStack({ 'priced-usage': model });
    templateDir = stack.templateDir('template-');
    fs.mkdirSync(path.join(templateDir, 'src'));
    fs.writeFileSync(path.join(templateDir, 'src/a.txt'), 'one\ntwo\nthree\n');
    await stack.putProject('p-priced-usage', { type: 'path', path: templateDir });
    executionId = await stack.run('unattended', 'priced-usage');
    execution = await stack.waitForStatus(executionId, 'completed', 'failed');
    events = await stack.events(executionId);
  });
  afterAll(() => stack?.close());

  it('completes with the final answer as its summary', () => {
    expect(execution.status).toBe('completed');
    expect(execution.runs[0].summary).toBe('Replaced two with 2 in src/a.txt and started notes.md.');
  });

  it('prices every step to the cent, cached input at its own price', () => {
    const steps = events.filter((e) => e.type === 'model.step_completed');
    expect(steps.map((e) => e.payload.usage.costUsd)).toEqual([0.35, 0.3625, 0.53]);
    expect(steps[1].payload.usage).toEqual({
      inputTokens: 200_000,
      outputTokens: 5_000,
      cachedInputTokens: 150_000,
      reasoningTokens: 700,
      costUsd: 0.3625,
    });
    const usage = { inputTokens: 600_000, outputTokens: 18_000, cachedInputTokens: 350_000, reasoningTokens: 700, costUsd: 1.2425 };
    expect(execution.runs[0]).toMatchObject({ modelSteps: 3, toolCalls: 3, usage });
    expect(execution.totals).toMatchObject({ runs: 1, turns: 1, modelSteps: 3, toolCalls: 3, usage });
    expect(execution.totals.durationMs).toBeGreaterThan(0);
    expect(execution.usageByTurn).toEqual([{ turnNumber: 1, modelSteps: 3, toolCalls: 3, usage }]);
  });

  it('streams text and reasoning, and records each tool call with its input and output', () => {
    const text = events
      .filter((e) => e.type === 'model.text_delta')
      .map((e) => e.payload.text)
      .join('');
    expect(text).toBe('Replaced two with 2 in src/a.txt and started notes.md.');
    expect(events.find((e) => e.type === 'model.reasoning_delta')?.payload).toMatchObject({ step: 2, text: 'Check the edit landed.' });
    const started = events.filter((e) => e.type === 'tool.call_started');
    expect(started.map((e) => e.payload.tool)).toEqual(['edit_file', 'write_file', 'read_file']);
    expect(started[0].payload.input).toEqual({ path: 'src/a.txt', oldText: 'two', newText: '2' });
    const edit = events.find((e) => e.type === 'tool.call_completed' && e.payload.tool === 'edit_file');
    expect(edit.payload).toMatchObject({ isError: false, change: { path: 'src/a.txt', added: 1, removed: 1 } });
    expect(edit.payload.output).toContain('+1/-1');
    const read = events.find((e) => e.type === 'tool.call_completed' && e.payload.tool === 'read_file');
    expect(read.payload.output).toBe('one\n2\nthree\n');
    expect(events.every((e) => e.runId === null || e.attempt === 1)).toBe(true);
  });

  it('gives the model each tool result in the next step', () => {
    const third = promptText(model.doStreamCalls[2]!);
    expect(third).toContain('one\\n2\\nthree');
  });

  it('shows the files the run changed with +N/-M and a unified diff', async () => {
    const run = await (await stack.api(`/v1/runs/${execution.runs[0].id}`)).json();
    expect(run.files.map((f: any) => [f.path, f.added, f.removed])).toEqual([
      ['notes.md', 1, 0],
      ['src/a.txt', 1, 1],
    ]);
    const diff = run.files[1].diff;
    expect(diff).toContain('-two');
    expect(diff).toContain('+2');
    expect(run.usage.costUsd).toBe(1.2425);
    // The template folder itself is untouched: the workspace is a copy.
    expect(fs.readFileSync(path.join(templateDir, 'src/a.txt'), 'utf8')).toBe('one\ntwo\nthree\n');
    expect(fs.readFileSync(path.join(stack.workspace(executionId), 'src/a.txt'), 'utf8')).toBe('one\n2\nthree\n');
  });
});
