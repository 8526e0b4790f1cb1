import { asc, eq, sql } from 'drizzle-orm';
import type { Budgets } from '../common/budgets.ts';
import type { Database } from './client.ts';
import { agents } from './schema.ts';

export type AgentRow = typeof agents.$inferSelect;
export type AgentRecord = Omit<AgentRow, 'createdAt' | 'updatedAt'>;

export async function findAgent(db: Database, id: string): Promise<AgentRow | undefined> {
  const [row] = await db.select().from(agents).where(eq(agents.id, id));
  return row;
}

export function listAgents(db: Database): Promise<AgentRow[]> {
  return db.select().from(agents).orderBy(asc(agents.id));
}

/** Creates the agent or replaces every field of an existing one. Returns whether it was created. */
export async function saveAgent(db: Database, agent: AgentRecord): Promise<{ created: boolean; agent: AgentRow }> {
  const existing = await findAgent(db, agent.id);
  const [row] = await db
    .insert(agents)
    .values(agent)
    .onConflictDoUpdate({ target: agents.id, set: { ...agent, updatedAt: sql`now()` } })
    .returning();
  return { created: !existing, agent: row! };
}

export const agentBudgets = (agent: AgentRow): Budgets => ({
  maxSteps: agent.maxSteps,
  maxCostUsd: agent.maxCostUsd,
  maxDurationMs: agent.maxDurationMs,
});
