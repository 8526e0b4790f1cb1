import { and, asc, eq, sql } from 'drizzle-orm';
import type { Budgets } from '../common/budgets.ts';
import type { Database } from './client.ts';
import { agents } from './schema.ts';

export type AgentRow = typeof agents.$inferSelect;
/** An agent as written: its tenant is named apart. */
export type AgentRecord = Omit<AgentRow, 'tenantId' | 'createdAt' | 'updatedAt'>;

export async function findAgent(db: Database, tenantId: string, id: string): Promise<AgentRow | undefined> {
  const [row] = await db
    .select()
    .from(agents)
    .where(and(eq(agents.tenantId, tenantId), eq(agents.id, id)));
  return row;
}

export function listAgents(db: Database, tenantId: string): Promise<AgentRow[]> {
  return db.select().from(agents).where(eq(agents.tenantId, tenantId)).orderBy(asc(agents.id));
}

/** Creates the tenant's agent or replaces every field of an existing one. Returns whether it was created. */
export async function saveAgent(db: Database, tenantId: string, agent: AgentRecord): Promise<{ created: boolean; agent: AgentRow }> {
  const existing = await findAgent(db, tenantId, agent.id);
  const [row] = await db
    .insert(agents)
    .values({ tenantId, ...agent })
    .onConflictDoUpdate({ target: [agents.tenantId, agents.id], set: { ...agent, updatedAt: sql`now()` } })
    .returning();
  return { created: !existing, agent: row! };
}

export const agentBudgets = (agent: AgentRow): Budgets => ({
  maxSteps: agent.maxSteps,
  maxCostUsd: agent.maxCostUsd,
  maxDurationMs: agent.maxDurationMs,
});
