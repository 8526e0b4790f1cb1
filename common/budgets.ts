/**
 * What bounds a run (seed 003): model steps, cost in USD, and the time the agent spends working
 * (waiting for a person's decision does not count). Hitting one fails the run with
 * `budget_exceeded`, naming which. Agents set them; an execution may override each.
 */
export interface Budgets {
  maxSteps: number;
  /** null: no cost limit. A model without a price cannot be held to one. */
  maxCostUsd: number | null;
  maxDurationMs: number;
}

export type BudgetName = keyof Budgets;

export const BUDGET_LIMITS = {
  // Long runs continue as new (workflows/run.ts), so history does not bound the number of steps.
  maxSteps: { min: 1, max: 10_000 },
  maxCostUsd: { min: 0, max: 10_000 },
  maxDurationMs: { min: 1000, max: 7 * 86_400_000 },
} as const;

/** The agent's budgets with an execution's overrides on top. */
export function effectiveBudgets(agent: Budgets, overrides: Partial<Budgets> | null | undefined): Budgets {
  return { ...agent, ...Object.fromEntries(Object.entries(overrides ?? {}).filter(([, v]) => v !== undefined)) };
}
