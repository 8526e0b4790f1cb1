import { ApplicationFailure, Context } from '@temporalio/activity';
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { appendEvent } from '../db/events.ts';
import { messages } from '../db/schema.ts';
import type { AgentCall, AgentDriver } from './agent.ts';

/** The offline demo models: how many steps each takes and how long each step lasts. */
export const DEMO_MODELS: Record<string, { steps: number; stepMs: number; failsAtStep?: number }> = {
  demo: { steps: 3, stepMs: 0 },
  'demo-slow': { steps: 5, stepMs: 3000 },
  'demo-fail': { steps: 3, stepMs: 0, failsAtStep: 1 },
};

/**
 * A deterministic agent for offline use and tests. It reads the conversation from Postgres, proposes
 * a plan, "works" in steps that emit events, and answers with a summary that shows what it knew.
 */
export function createDemoAgent(db: Database): AgentDriver {
  async function conversation(executionId: string) {
    const rows = await db.select().from(messages).where(eq(messages.executionId, executionId)).orderBy(asc(messages.createdAt));
    const userMessages = rows.filter((m) => m.role === 'user').map((m) => m.content);
    return { first: userMessages[0] ?? '', latest: userMessages.at(-1) ?? '', earlierTurns: userMessages.length - 1 };
  }

  const record = (call: AgentCall, type: string, payload: Record<string, unknown>) =>
    appendEvent(db, {
      eventId: call.eventId,
      type,
      executionId: call.executionId,
      runId: call.runId,
      turnNumber: call.turnNumber,
      attempt: call.attempt,
      actor: { kind: 'system', id: `${call.model.provider}/${call.model.model}` },
      occurredAt: new Date().toISOString(),
      payload,
    });

  return {
    async decidePlanNeeded(call) {
      const { latest } = await conversation(call.executionId);
      return /\bplan\b/i.test(latest) || latest.length > 200;
    },

    async proposePlan(call) {
      const { latest } = await conversation(call.executionId);
      const lines = [
        `## Plan (version ${call.version})`,
        '',
        `1. Read the request: "${excerpt(latest)}"`,
        '2. Look at what the workspace holds (read only while planning).',
        '3. Make the change and check it.',
        ...(call.feedback ? ['', `Revised after feedback: "${excerpt(call.feedback)}"`] : []),
      ];
      await record(call, 'plan.proposed', { version: call.version, text: lines.join('\n') });
      return { version: call.version };
    },

    async agentStep(call) {
      const spec = DEMO_MODELS[call.model.model];
      if (!spec) throw ApplicationFailure.nonRetryable(`unknown demo model ${call.model.model}`, 'invalid_model');
      if (spec.failsAtStep === call.step) {
        throw ApplicationFailure.nonRetryable(`${call.model.model} fails at step ${call.step} by design`, 'demo_failure');
      }
      await workFor(spec.stepMs);
      const done = call.step >= spec.steps;
      const { first, latest, earlierTurns } = await conversation(call.executionId);
      const summary = done
        ? `Done: "${excerpt(latest)}".` +
          (earlierTurns > 0 ? ` Context: ${earlierTurns} earlier turn(s), starting with "${excerpt(first)}".` : '')
        : undefined;
      await record(call, 'run.step', { step: call.step, of: spec.steps, text: `Step ${call.step} of ${spec.steps}` });
      return { done, summary };
    },
  };
}

/** Waits, heartbeating, so that a stop reaches the activity within seconds (heartbeats are throttled by the SDK). */
async function workFor(ms: number): Promise<void> {
  const context = Context.current();
  for (let waited = 0; waited < ms; waited += 500) {
    context.heartbeat();
    await context.sleep(Math.min(500, ms - waited)); // rejects when the activity is cancelled
  }
}

const excerpt = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
};
