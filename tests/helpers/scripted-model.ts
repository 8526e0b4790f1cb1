import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { APICallError } from '@ai-sdk/provider';
import { simulateReadableStream } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';

/** One scripted model step: tool calls and/or text, with the usage the "provider" reports. */
export interface ScriptedStep {
  toolCalls?: Array<{ name: string; input: unknown }>;
  text?: string;
  reasoning?: string;
  usage?: { input?: number; cached?: number; output?: number; reasoning?: number };
  /** Throw this HTTP status instead of answering (a provider error). */
  status?: number;
  /** Wait this long before answering (aborted by a stop). */
  delayMs?: number;
}

/**
 * An AI SDK mock model that plays `steps` in order (the last one again when the script runs out)
 * and keeps every prompt it was given, for exact assertions.
 */
export function scriptedModel(steps: ScriptedStep[] | ((call: number, options: LanguageModelV4CallOptions) => ScriptedStep)) {
  let calls = 0;
  const model: MockLanguageModelV4 = new MockLanguageModelV4({
    provider: 'scripted',
    modelId: 'scripted',
    doStream: async (options) => {
      const index = calls++;
      const step = typeof steps === 'function' ? steps(index, options) : steps[Math.min(index, steps.length - 1)]!;
      if (step.delayMs) await abortableDelay(step.delayMs, options.abortSignal);
      if (step.status) {
        throw new APICallError({
          message: `scripted ${step.status}`,
          url: 'http://scripted.invalid/v1',
          requestBodyValues: {},
          statusCode: step.status,
          isRetryable: step.status === 429 || step.status >= 500,
        });
      }
      return { stream: simulateReadableStream({ chunks: streamParts(step, index) }) };
    },
  });
  return model;
}

function streamParts(step: ScriptedStep, index: number): LanguageModelV4StreamPart[] {
  const parts: LanguageModelV4StreamPart[] = [{ type: 'stream-start', warnings: [] }];
  if (step.reasoning) {
    parts.push({ type: 'reasoning-start', id: 'r' }, { type: 'reasoning-delta', id: 'r', delta: step.reasoning }, { type: 'reasoning-end', id: 'r' });
  }
  if (step.text) {
    parts.push({ type: 'text-start', id: 't' });
    for (const word of step.text.match(/\S+\s*/g) ?? []) parts.push({ type: 'text-delta', id: 't', delta: word });
    parts.push({ type: 'text-end', id: 't' });
  }
  (step.toolCalls ?? []).forEach((call, i) => {
    const input = typeof call.input === 'string' ? call.input : JSON.stringify(call.input);
    parts.push({ type: 'tool-call', toolCallId: `call-${index}-${i}`, toolName: call.name, input });
  });
  const u = step.usage ?? {};
  const input = u.input ?? 100;
  const cached = u.cached ?? 0;
  const output = u.output ?? 10;
  parts.push({
    type: 'finish',
    finishReason: { unified: step.toolCalls?.length ? 'tool-calls' : 'stop', raw: undefined },
    usage: {
      inputTokens: { total: input, noCache: input - cached, cacheRead: cached, cacheWrite: undefined },
      outputTokens: { total: output, text: output - (u.reasoning ?? 0), reasoning: u.reasoning },
    },
  });
  return parts;
}

function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    });
  });
}

/** The text of every message of a prompt, flattened, for "does the prompt mention X" assertions. */
export function promptText(options: LanguageModelV4CallOptions): string {
  return options.prompt
    .map((message) =>
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part: any) => part.text ?? (part.output ? JSON.stringify(part.output) : JSON.stringify(part.input ?? ''))).join('\n'),
    )
    .join('\n');
}
