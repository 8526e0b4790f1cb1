/**
 * The model providers this service can run, and their models. Only the offline `demo` provider
 * exists until the agent-runtime issue adds real ones; asking for anything else is refused at
 * create time (422), not discovered as a failed run later.
 */
export const PROVIDERS: Record<string, readonly string[]> = {
  demo: ['demo', 'demo-slow', 'demo-fail'],
};

export const DEFAULT_MODEL = { provider: 'demo', model: 'demo' } as const;

/** Why a model cannot be used, or undefined when it can. */
export function modelProblem(model: { provider: string; model: string }): string | undefined {
  const models = PROVIDERS[model.provider];
  if (!models) return `provider "${model.provider}" is not configured (available: ${Object.keys(PROVIDERS).join(', ')})`;
  if (!models.includes(model.model)) return `provider "${model.provider}" has no model "${model.model}" (available: ${models.join(', ')})`;
  return undefined;
}
