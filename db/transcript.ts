import type { ModelMessage } from 'ai';
import { and, asc, eq, lt, lte } from 'drizzle-orm';
import type { Database } from './client.ts';
import { messages, runMessages, runs, toolCalls } from './schema.ts';

export type ToolCallRow = typeof toolCalls.$inferSelect;
export type NewToolCall = typeof toolCalls.$inferInsert;

/**
 * What a model step is given: the run's system prompt, the execution's conversation up to this
 * turn (follow-ups keep context), then this run's own steps, each followed by the results of its
 * tool calls and any note the system added. Only the steps before `step`: an attempt of a step
 * retried after its worker died must not see what the earlier attempt of the same step stored.
 */
export async function loadPrompt(
  db: Database,
  run: { executionId: string; runId: string; turnNumber: number; step: number },
): Promise<{ system: string; messages: ModelMessage[]; tools: string[]; outputSchema: unknown }> {
  const [row] = await db
    .select({ systemPrompt: runs.systemPrompt, tools: runs.tools, outputSchema: runs.outputSchema })
    .from(runs)
    .where(eq(runs.id, run.runId));
  const conversation = await db
    .select()
    .from(messages)
    .where(and(eq(messages.executionId, run.executionId), lte(messages.turnNumber, run.turnNumber)))
    .orderBy(asc(messages.createdAt));
  const steps = await db
    .select()
    .from(runMessages)
    .where(and(eq(runMessages.runId, run.runId), lt(runMessages.step, run.step)))
    .orderBy(asc(runMessages.step), asc(runMessages.kind));
  const calls = await db
    .select()
    .from(toolCalls)
    .where(and(eq(toolCalls.runId, run.runId), lt(toolCalls.step, run.step)))
    .orderBy(asc(toolCalls.step), asc(toolCalls.position));

  const prompt: ModelMessage[] = conversation.map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content }));
  for (const entry of steps) {
    prompt.push(entry.message as ModelMessage);
    const results = entry.kind === 'assistant' ? calls.filter((c) => c.step === entry.step) : [];
    if (results.length === 0) continue;
    prompt.push({
      role: 'tool',
      content: results.map((c) => ({
        type: 'tool-result' as const,
        toolCallId: c.providerCallId,
        toolName: c.tool,
        output:
          c.isError || c.output === null
            ? { type: 'error-text' as const, value: c.output ?? 'The tool call has no result.' }
            : { type: 'text' as const, value: c.output },
      })),
    });
  }
  return { system: row?.systemPrompt ?? '', messages: prompt, tools: row?.tools ?? [], outputSchema: row?.outputSchema ?? null };
}

/**
 * Stores a model step's message and the tool calls it made. A retried step replaces what an
 * earlier attempt of the same step stored.
 */
export async function saveStep(db: Database, runId: string, step: number, message: ModelMessage | undefined, calls: NewToolCall[]) {
  await db.transaction(async (tx) => {
    // Two attempts of one step can save at once (one timed out on a late heartbeat but still ran):
    // the run's row makes them take turns, so the later one replaces the earlier's rows instead of colliding.
    await tx.select({ id: runs.id }).from(runs).where(eq(runs.id, runId)).for('update');
    await tx.delete(runMessages).where(and(eq(runMessages.runId, runId), eq(runMessages.step, step)));
    await tx.delete(toolCalls).where(and(eq(toolCalls.runId, runId), eq(toolCalls.step, step)));
    if (message) await tx.insert(runMessages).values({ runId, step, kind: 'assistant', message });
    if (calls.length) await tx.insert(toolCalls).values(calls);
  });
}

/** A user message the system adds after a step (plan decisions, output corrections). */
export async function saveNote(db: Database, runId: string, step: number, text: string) {
  const message: ModelMessage = { role: 'user', content: text };
  await db
    .insert(runMessages)
    .values({ runId, step, kind: 'note', message })
    .onConflictDoUpdate({ target: [runMessages.runId, runMessages.step, runMessages.kind], set: { message } });
}

/** The text the model wrote in a step (a plan written as text instead of a propose_plan call). */
export async function stepText(db: Database, runId: string, step: number): Promise<string> {
  const [row] = await db
    .select()
    .from(runMessages)
    .where(and(eq(runMessages.runId, runId), eq(runMessages.step, step), eq(runMessages.kind, 'assistant')));
  const message = row?.message as ModelMessage | undefined;
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

export async function findToolCall(db: Database, callId: string): Promise<ToolCallRow | undefined> {
  const [row] = await db.select().from(toolCalls).where(eq(toolCalls.id, callId));
  return row;
}

export async function updateToolCall(db: Database, callId: string, values: Partial<NewToolCall>) {
  await db.update(toolCalls).set(values).where(eq(toolCalls.id, callId));
}
