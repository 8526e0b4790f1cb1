import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listExecutionEvents } from '../../db/events.ts';
import { runWorkflowId } from '../../workflows/definitions.ts';
import { DEMO_RUN_EVENTS } from '../helpers/demo-events.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

// A write that reached the database but whose activity then failed (a lost reply, a worker crash
// after commit) is retried by Temporal with the same event id: the retry must add no row.
describe('audit event writes under activity retries', () => {
  let stack: TestStack;
  const attemptsByType = new Map<string, number[]>();

  beforeAll(async () => {
    stack = await startTestStack({
      activities: (standard) => ({
        ...standard,
        async recordEvent(event) {
          const { attempt } = Context.current().info;
          attemptsByType.set(event.type, [...(attemptsByType.get(event.type) ?? []), attempt]);
          const stored = await standard.recordEvent(event);
          if (attempt === 1) throw new Error(`injected failure after writing ${event.type}`);
          return stored;
        },
        // The run's creation is recorded by the activity that asks for the project's slot.
        async requestProjectSlot(input) {
          const { attempt } = Context.current().info;
          for (const event of input.events ?? []) attemptsByType.set(event.type, [...(attemptsByType.get(event.type) ?? []), attempt]);
          const claim = await standard.requestProjectSlot(input);
          if (attempt === 1 && input.events?.length) throw new Error("injected failure after writing the run's creation and asking for the slot");
          return claim;
        },
      }),
    });
  });
  afterAll(() => stack?.close());

  it('writes every event exactly once although each write was attempted twice', async () => {
    const id = await stack.createExecution({ projectId: 'proj-retry', prompt: 'retry me', planMode: 'never' });
    // The projection says `completed` as soon as the first attempt's write commits; the run's child
    // workflow closes only after the retried write succeeded.
    await waitFor('the run workflow to close', async () => {
      try {
        await stack.env.client.workflow.getHandle(runWorkflowId(id, 1)).result();
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined; // not started yet
        throw err;
      }
    });
    const finished = await (await stack.api(`/v1/executions/${id}`)).json();
    expect(finished.status).toBe('completed');

    const events = await listExecutionEvents(stack.database.db, id, { limit: 100 });
    expect(events.map((e) => e.type)).toEqual(['execution.created', ...DEMO_RUN_EVENTS]);
    for (const type of ['execution.created', 'run.created', 'run.completed']) {
      expect(attemptsByType.get(type)).toEqual([1, 2]);
    }
    expect(finished.runs).toHaveLength(1);
  });
});
