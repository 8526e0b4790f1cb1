/**
 * The model providers this service can run, and what each needs from the environment. Asking for a
 * provider that is unknown or not configured is refused at create time (422), not discovered as a
 * failed run later. No SDK import here: workflow code may import `common/`.
 */

/** The offline demo models: `demo` works, `demo-slow` waits 3 s a step, `demo-fail` fails its first step. */
export const DEMO_MODEL_IDS = ['demo', 'demo-slow', 'demo-fail'] as const;
export type DemoModelId = (typeof DEMO_MODEL_IDS)[number];

/** The environment variables of the model providers (described with the rest in common/config.ts). */
export type ModelEnvVarName =
  | 'OPENAI_API_KEY'
  | 'OPENAI_BASE_URL'
  | 'ANTHROPIC_API_KEY'
  | 'ANTHROPIC_BASE_URL'
  | 'OPENAI_COMPATIBLE_BASE_URL'
  | 'OPENAI_COMPATIBLE_API_KEY';

/** Base URLs used when unset: passed explicitly, so the SDKs never fall back to process.env themselves. */
const BASE_URL_DEFAULTS: Partial<Record<ModelEnvVarName, string>> = {
  OPENAI_BASE_URL: 'https://api.openai.com/v1',
  ANTHROPIC_BASE_URL: 'https://api.anthropic.com/v1',
};

/**
 * Each provider: its models when the list is fixed (`demo`; the others take any model id their API
 * knows), and the variables it cannot work without.
 */
export const PROVIDERS = {
  demo: { models: DEMO_MODEL_IDS, requiredEnv: [] },
  openai: { models: undefined, requiredEnv: ['OPENAI_API_KEY'] },
  anthropic: { models: undefined, requiredEnv: ['ANTHROPIC_API_KEY'] },
  'openai-compatible': { models: undefined, requiredEnv: ['OPENAI_COMPATIBLE_BASE_URL'] },
} as const satisfies Record<string, { models: readonly string[] | undefined; requiredEnv: readonly ModelEnvVarName[] }>;

export type ProviderName = keyof typeof PROVIDERS;

export const isProviderName = (name: string): name is ProviderName => Object.hasOwn(PROVIDERS, name);

export const isDemoModelId = (model: string): model is DemoModelId => (DEMO_MODEL_IDS as readonly string[]).includes(model);

/** A model variable's value: blank counts as unset, and an unset base URL has its default. */
export function readModelEnv(name: ModelEnvVarName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name]?.trim();
  return value || BASE_URL_DEFAULTS[name];
}

/** Why a model cannot be used, or undefined when it can. */
export function modelProblem(model: { provider: string; model: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!isProviderName(model.provider)) {
    return `unknown provider "${model.provider}" (available: ${Object.keys(PROVIDERS).join(', ')})`;
  }
  const provider = PROVIDERS[model.provider];
  const missing = provider.requiredEnv.filter((name) => readModelEnv(name, env) === undefined);
  if (missing.length > 0) {
    return `provider "${model.provider}" is not configured: set ${missing.join(' and ')} in the environment of the API and the worker`;
  }
  if (!model.model.trim()) return `provider "${model.provider}" needs a model id`;
  if (provider.models && !(provider.models as readonly string[]).includes(model.model)) {
    return `provider "${model.provider}" has no model "${model.model}" (available: ${provider.models.join(', ')})`;
  }
  return undefined;
}
