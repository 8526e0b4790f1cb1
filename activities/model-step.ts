import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { type LanguageModel, type ModelMessage, streamText } from 'ai';
import { Ajv } from 'ajv';
import { eq } from 'drizzle-orm';
import { capText } from '../common/cap-text.ts';
import { uuidFromName } from '../common/ids.ts';
import type { Database } from '../db/client.ts';
import { runs } from '../db/schema.ts';
import { loadPrompt, type NewToolCall, saveNote, saveStep } from '../db/transcript.ts';
import type { ModelChoice } from '../workflows/definitions.ts';
import { withHeartbeats } from './heartbeat.ts';
import { classifyModelError } from './models/model-error.ts';
import { costUsd, type Pricing, priceFor } from './models/pricing.ts';
import { toStepUsage } from './models/usage.ts';
import { deliverPlanAnswer, type PlanAnswer } from './plan-answers.ts';
import { type AgentCall, runEventWriter, textBatcher } from './run-events.ts';
import { isToolName, READ_ONLY_TOOLS, type ToolName, toolDeclarations } from './tools/definitions.ts';

/** The most of a final answer that travels through workflow history and becomes the run's summary. */
const SUMMARY_LIMIT = 4000;

export interface ModelStepResult {
  /** Tool calls to run, in order (calls the model may not make were answered with an error already). */
  toolCalls: Array<{ callId: string; tool: string }>;
  /** The answer, when the model called no tool: the run's summary (or, while planning, the plan). */
  final?: string;
  /** null when the model has no price. */
  costUsd: number | null;
}

export interface ModelStepDeps {
  db: Database;
  resolveModel: (choice: ModelChoice) => LanguageModel;
  pricing: Pricing;
}

/**
 * One model step: loads the prompt from Postgres, calls the model once with the step's tools
 * declared (not executed), streams text and reasoning into events, and stores the model's message,
 * its tool calls and its usage. The workflow gets back only ids and the final answer.
 */
export function createModelStepActivity({ db, resolveModel, pricing }: ModelStepDeps) {
  const ajv = new Ajv({ allErrors: true, strict: false });

  return async function modelStep(call: AgentCall & { step: number; phase: 'plan' | 'work'; planAnswer?: PlanAnswer }): Promise<ModelStepResult> {
    const context = Context.current();
    const { step, phase, runId } = call;
    // A person's plan decision travels with the step that follows it: delivered first, one activity fewer.
    if (call.planAnswer) await withHeartbeats(() => deliverPlanAnswer(db, call, call.planAnswer!));
    const write = runEventWriter(db, call, call.eventId, { kind: 'system', id: `${call.model.provider}/${call.model.model}` });
    // The prompt, tools and output schema as the run was prepared with them (not the agent as it is now).
    const prompt = await loadPrompt(db, call);
    const tools = stepTools(prompt.tools, phase);

    async function streamStep() {
      const result = streamText({
        model: resolveModel(call.model),
        instructions: prompt.system,
        messages: prompt.messages,
        tools: toolDeclarations(tools),
        // While planning, the model is asked for a tool call (propose_plan, or a read-only look first).
        toolChoice: phase === 'plan' ? 'required' : 'auto',
        maxRetries: 0, // Temporal retries the activity, with backoff and a record of each attempt
        abortSignal: context.cancellationSignal,
        onError: () => undefined, // errors arrive as stream parts, handled below (the default logs them)
      });
      const text = textBatcher((chunk) => write('model.text_delta', { step, text: chunk }));
      const reasoning = textBatcher((chunk) => write('model.reasoning_delta', { step, text: chunk }));
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') await text.add(part.text);
        else if (part.type === 'reasoning-delta') await reasoning.add(part.text);
        else if (part.type === 'error') throw part.error;
      }
      await reasoning.flush();
      await text.flush();
      const [messages, toolCalls, answer, usage, finishReason] = await Promise.all([
        result.responseMessages,
        result.toolCalls,
        result.text,
        result.usage,
        result.finishReason,
      ]);
      return { message: messages[0] as ModelMessage | undefined, toolCalls, text: answer, usage, finishReason };
    }
    let response: Awaited<ReturnType<typeof streamStep>>;
    try {
      response = await withHeartbeats(streamStep);
    } catch (err) {
      if (context.cancellationSignal.aborted) throw new CancelledFailure('the model step was cancelled');
      const problem = classifyModelError(err);
      throw ApplicationFailure.create({ type: problem.type, message: problem.message, nonRetryable: !problem.retryable });
    }

    // Tool calls: ours get ids of their own; calls the model may not make now are answered with an error.
    const calls: NewToolCall[] = response.toolCalls.map((toolCall, position) => {
      const allowed = !toolCall.invalid && (tools as readonly string[]).includes(toolCall.toolName);
      const refusal = toolCall.invalid
        ? `Invalid call of ${toolCall.toolName}: ${errorMessage(toolCall.error)}`
        : `Tool ${toolCall.toolName} is not available ${phase === 'plan' ? 'while planning' : 'to this agent'}; available: ${tools.join(', ')}.`;
      return {
        id: uuidFromName(`${runId}:${step}:${position}`),
        executionId: call.executionId,
        runId,
        step,
        position,
        providerCallId: toolCall.toolCallId,
        tool: toolCall.toolName,
        input: toolCall.input ?? null,
        status: allowed ? 'requested' : 'completed',
        ...(!allowed && { output: refusal, isError: true, completedAt: new Date() }),
      };
    });
    await saveStep(db, runId, step, response.message, calls);

    const usage = toStepUsage(response.usage);
    const price = priceFor(pricing, call.model);
    const cost = costUsd(price, usage);
    if (!price && step === 1) {
      await write('run.warning', {
        code: 'price_missing',
        message: `no price for ${call.model.provider}/${call.model.model}: its cost is unknown (null)`,
      });
    }
    await write('model.step_completed', {
      step,
      phase,
      finishReason: response.finishReason,
      usage: { ...usage, costUsd: cost },
      toolCalls: calls.map((c) => ({ callId: c.id, tool: c.tool, refused: c.status === 'completed' })),
    });

    const toolCalls = calls.filter((c) => c.status === 'requested').map((c) => ({ callId: c.id, tool: c.tool }));
    if (calls.length > 0) return { toolCalls, costUsd: cost };

    // No tool call: the model's answer. With an output schema, it must be valid JSON for it.
    if (phase === 'work' && prompt.outputSchema) {
      const problem = outputProblem(ajv, prompt.outputSchema, response.text);
      if (typeof problem === 'string') {
        await saveNote(
          db,
          runId,
          step,
          `Your final answer is not valid output: ${problem}. Answer again with only a JSON value matching the output schema.`,
        );
        await write('run.output_rejected', { step, problem });
        return { toolCalls: [], costUsd: cost };
      }
      await db.update(runs).set({ output: problem.value }).where(eq(runs.id, runId));
    }
    return { toolCalls: [], final: capText(response.text.trim(), SUMMARY_LIMIT), costUsd: cost };
  };
}

/** The tools a step declares: while planning only the read-only ones and propose_plan. */
function stepTools(allowed: string[], phase: 'plan' | 'work'): ToolName[] {
  const agentTools = allowed.filter((t): t is ToolName => t !== 'propose_plan' && isToolName(t));
  if (phase === 'work') return agentTools;
  return [...agentTools.filter((t) => (READ_ONLY_TOOLS as readonly string[]).includes(t)), 'propose_plan'];
}

/** Why an answer is not valid output, or the parsed value. */
function outputProblem(ajv: Ajv, schema: unknown, text: string): string | { value: unknown } {
  const json = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return 'it is not JSON';
  }
  const validate = ajv.compile(schema as object);
  if (validate(value)) return { value };
  return ajv.errorsText(validate.errors, { dataVar: 'output' });
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));
