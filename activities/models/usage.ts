import type { LanguageModelUsage } from 'ai';

/**
 * The tokens of one model step, as we record and price them. `cachedInputTokens` are part of
 * `inputTokens` and `reasoningTokens` part of `outputTokens` (the AI SDK counts them that way).
 */
export interface StepUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
}

/** A provider that does not report a count is recorded as 0 for it, not as unknown. */
export function toStepUsage(usage: LanguageModelUsage): StepUsage {
  return {
    inputTokens: usage.inputTokens ?? 0,
    outputTokens: usage.outputTokens ?? 0,
    cachedInputTokens: usage.inputTokenDetails?.cacheReadTokens ?? 0,
    reasoningTokens: usage.outputTokenDetails?.reasoningTokens ?? 0,
  };
}
