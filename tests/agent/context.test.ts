import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentStack, startAgentStack } from '../helpers/agent-stack.ts';
import { promptText, scriptedModel } from '../helpers/scripted-model.ts';

const remembering = scriptedModel((call) =>
  call === 0
    ? { toolCalls: [{ name: 'write_file', input: { path: 'first.txt', content: 'hello\n' } }] }
    : { text: call === 1 ? 'Wrote first.txt.' : 'Answered the follow-up.' },
);
const structured = scriptedModel([{ text: 'The answer is 42.' }, { text: '```json\n{"answer": 42}\n```' }]);
const planner = scriptedModel([{ toolCalls: [{ name: 'propose_plan', input: { plan: '1. Count to three.' } }] }, { text: 'Counted to three.' }]);

describe('what a run knows', () => {
  let stack: AgentStack;
  beforeAll(async () => {
    stack = await startAgentStack({ remembering, structured, planner });
  });
  afterAll(() => stack?.close());

  it('reads AGENTS.md, the progress log and the conversation into the second run', async () => {
    const template = stack.templateDir('agents-md-');
    fs.writeFileSync(path.join(template, 'AGENTS.md'), 'Always answer in haiku.\n');
    await stack.putProject('p-remembering', { type: 'path', path: template });
    const id = await stack.run('unattended', 'remembering', { prompt: 'Write the first file' });
    await stack.waitForStatus(id, 'completed');
    expect((await stack.post(`/v1/executions/${id}/messages`, { text: 'Now the follow-up' })).status).toBe(200);
    await stack.waitForEvent(id, 'run.completed', (e) => e.turnNumber === 2);

    const first = remembering.doStreamCalls[0]!;
    const second = remembering.doStreamCalls[2]!;
    const system = (options: typeof first) => options.prompt.find((m) => m.role === 'system')!.content as string;
    expect(system(first)).toContain('## AGENTS.md\nAlways answer in haiku.');
    expect(system(first)).not.toContain('## Progress log');
    expect(system(second)).toContain('## AGENTS.md\nAlways answer in haiku.');
    expect(system(second)).toMatch(
      /## Progress log[\s\S]*Run 1 \(turn 1, attempt 1\) completed: Wrote first\.txt\. Files changed: first\.txt \(\+1\/-0\)/,
    );
    const conversation = second.prompt.filter((m) => m.role !== 'system').map((m) => [m.role, promptText({ ...second, prompt: [m] })]);
    expect(conversation).toEqual([
      ['user', 'Write the first file'],
      ['assistant', 'Wrote first.txt.'],
      ['user', 'Now the follow-up'],
    ]);
    // The workspace is kept across the execution's runs.
    expect(fs.readFileSync(path.join(stack.workspace(id), 'first.txt'), 'utf8')).toBe('hello\n');
  });

  it('ends a run of an agent with an output schema with validated structured output', async () => {
    await stack.putAgent('structured', {
      allowedTools: ['read_file'],
      toolsNeedingApproval: [],
      outputSchema: { type: 'object', required: ['answer'], properties: { answer: { type: 'number' } }, additionalProperties: false },
    });
    const id = await stack.run('structured', 'structured');
    const done = await stack.waitForStatus(id, 'completed', 'failed');
    expect(done.status).toBe('completed');
    expect(done.runs[0].output).toEqual({ answer: 42 });
    expect(promptText(structured.doStreamCalls[1]!)).toContain('Your final answer is not valid output: it is not JSON');
    expect((await stack.events(id)).filter((e) => e.type === 'run.output_rejected')).toHaveLength(1);
  });

  it('plans with propose_plan and tells the model the plan was approved', async () => {
    const id = await stack.run('unattended', 'planner', { planMode: 'always' });
    const waiting = await stack.waitForStatus(id, 'awaiting_approval');
    expect(waiting.plan).toEqual({ version: 1, text: '1. Count to three.' });
    // While planning only read-only tools and propose_plan are offered.
    expect(planner.doStreamCalls[0]!.tools?.map((t: any) => t.name).sort()).toEqual(['list_files', 'propose_plan', 'read_file', 'search']);
    expect((await stack.post(`/v1/executions/${id}/plan/approve`, {})).status).toBe(200);
    const done = await stack.waitForStatus(id, 'completed');
    expect(done.runs[0].summary).toBe('Counted to three.');
    expect(promptText(planner.doStreamCalls[1]!)).toContain('Plan approved. Carry it out now.');
    expect(planner.doStreamCalls[1]!.tools?.map((t: any) => t.name)).toContain('write_file');
  });
});
