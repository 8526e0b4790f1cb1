import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { isDemoModelId, modelProblem, readModelEnv } from '../../common/models.ts';
import { createDemoModel } from './demo-model.ts';

/**
 * The AI SDK model of a provider/model choice, configured only from `env` (keys and base URLs are
 * passed explicitly, so the SDKs never read process.env behind our back). Throws, with modelProblem's
 * words, when the provider is unknown or not configured.
 */
export function resolveModel(choice: { provider: string; model: string }, env: NodeJS.ProcessEnv = process.env): LanguageModel {
  const problem = modelProblem(choice, env);
  if (problem) throw new Error(problem);

  switch (choice.provider) {
    case 'demo':
      if (!isDemoModelId(choice.model)) break; // modelProblem refuses it already
      return createDemoModel(choice.model);
    case 'openai':
      return createOpenAI({ apiKey: readModelEnv('OPENAI_API_KEY', env), baseURL: readModelEnv('OPENAI_BASE_URL', env) })(choice.model);
    case 'anthropic':
      return createAnthropic({ apiKey: readModelEnv('ANTHROPIC_API_KEY', env), baseURL: readModelEnv('ANTHROPIC_BASE_URL', env) })(choice.model);
    case 'openai-compatible':
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: readModelEnv('OPENAI_COMPATIBLE_BASE_URL', env)!, // required, checked by modelProblem
        apiKey: readModelEnv('OPENAI_COMPATIBLE_API_KEY', env),
        // Streamed chat completions report usage only when asked to.
        includeUsage: true,
      })(choice.model);
  }
  throw new Error(`provider "${choice.provider}" has no model "${choice.model}"`);
}
