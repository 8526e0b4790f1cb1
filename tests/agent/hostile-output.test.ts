import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentStack, startAgentStack } from '../helpers/agent-stack.ts';
import { scriptedModel } from '../helpers/scripted-model.ts';

// A tool whose output Postgres cannot store as it is (a NUL), and a run that changes 20,000 files:
// both used to fail the run's bookkeeping forever, holding the project's slot.
const FILES = 20_000;
const hostile = scriptedModel([
  { toolCalls: [{ name: 'run_command', input: { command: "printf 'a\\0b'" } }] },
  { toolCalls: [{ name: 'run_command', input: { command: `mkdir many && cd many && for i in $(seq 1 ${FILES}); do echo $i > f$i.txt; done` } }] },
  { text: 'Made many files.' },
]);
const next = scriptedModel([{ text: 'The next one ran.' }]);

describe('a run with hostile output', () => {
  let stack: AgentStack;
  beforeAll(async () => {
    stack = await startAgentStack({ hostile, next });
  });
  afterAll(() => stack?.close());

  it('stores NUL output visibly replaced, records 20,000 changed files capped with a total, and frees the project', async () => {
    const id = await stack.run('unattended', 'hostile', { projectId: 'hostile-output' });
    const after = await stack.run('unattended', 'next', { projectId: 'hostile-output' });
    const done = await stack.waitForExecution(id, 'to end', (body) => ['completed', 'failed'].includes(body.status), 120_000);
    expect(done.status).toBe('completed');
    expect(done.runs[0].summary).toBe('Made many files.');

    const outputs = (await stack.events(id)).filter((e) => e.type === 'tool.call_completed').map((e) => e.payload.output);
    expect(outputs[0]).toContain('a\uFFFDb');

    // The run's files: a page at a time, the first 1,000 by path, with the total.
    const runId = done.runs[0].id;
    const first = await (await stack.api(`/v1/runs/${runId}`)).json();
    expect(first).toMatchObject({ filesChanged: FILES, filesTruncated: true });
    expect(first.files).toHaveLength(100);
    const paths: string[] = [];
    let page = first;
    for (;;) {
      paths.push(...page.files.map((f: any) => f.path));
      if (!page.nextFilesCursor) break;
      page = await (await stack.api(`/v1/runs/${runId}?filesLimit=500&filesCursor=${page.nextFilesCursor}`)).json();
    }
    expect(paths).toHaveLength(1000);
    expect(new Set(paths).size).toBe(1000);
    expect(paths.every((p) => p.startsWith('many/f'))).toBe(true);
    expect((await stack.api(`/v1/runs/${runId}?filesCursor=not-a-cursor!`)).status).toBe(400);

    // The project's slot was released: the execution queued behind it ran.
    expect((await stack.waitForStatus(after, 'completed', 'failed')).status).toBe('completed');
  }, 150_000);
});
