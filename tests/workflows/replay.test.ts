import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { executionWorkflowId, runWorkflowId } from '../../workflows/definitions.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

// Workflow code must replay its own histories: the ones it makes now, and the committed ones from
// earlier versions (tests/fixtures/histories). Record new fixtures with RECORD_HISTORIES=1.
const { History } = temporal.api.history.v1;
const fixturesDir = path.join(import.meta.dirname, '..', 'fixtures', 'histories');
const replayOptions = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') } });

describe('workflow replay', () => {
  let stack: TestStack;
  let histories: Array<{ name: string; workflowId: string; history: unknown }>;

  beforeAll(async () => {
    stack = await startTestStack();
    const response = await stack.api('/v1/executions', {
      method: 'POST',
      body: JSON.stringify({ projectId: 'proj-replay', prompt: 'replay me', planMode: 'never' }),
    });
    const { id } = await response.json();
    await stack.waitForStatus(id, 'completed');
    const fetch = (workflowId: string) => stack.env.client.workflow.getHandle(workflowId).fetchHistory();
    histories = [
      { name: 'execution-completed', workflowId: executionWorkflowId(id), history: await fetch(executionWorkflowId(id)) },
      { name: 'run-completed', workflowId: runWorkflowId(id, 1), history: await fetch(runWorkflowId(id, 1)) },
    ];
    if (process.env.RECORD_HISTORIES) {
      for (const h of histories) {
        fs.writeFileSync(path.join(fixturesDir, `${h.name}.json`), JSON.stringify(History.fromObject(h.history as object).toJSON(), null, 1));
      }
    }
  });
  afterAll(() => stack?.close());

  it('replays the histories the current code makes', async () => {
    for (const { workflowId, history } of histories) {
      await expect(Worker.runReplayHistory(replayOptions(), history, workflowId)).resolves.toBeUndefined();
    }
  });

  const fixtures = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.json'));

  it('has committed histories to replay', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(2);
  });

  it.each(fixtures)('replays the committed history %s', async (file) => {
    const history = History.fromObject(JSON.parse(fs.readFileSync(path.join(fixturesDir, file), 'utf8')));
    await expect(Worker.runReplayHistory(replayOptions(), history)).resolves.toBeUndefined();
  });
});
