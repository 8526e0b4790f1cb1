import { eq, sql } from 'drizzle-orm';
import type { Database } from './client.ts';
import { projects } from './schema.ts';

export type ProjectRow = typeof projects.$inferSelect;

export async function findProject(db: Database, id: string): Promise<ProjectRow | undefined> {
  const [row] = await db.select().from(projects).where(eq(projects.id, id));
  return row;
}

/** Sets a project's workspace template (used by executions created from now on). */
export async function saveProject(db: Database, id: string, workspaceTemplate: unknown): Promise<ProjectRow> {
  const [row] = await db
    .insert(projects)
    .values({ id, workspaceTemplate })
    .onConflictDoUpdate({ target: projects.id, set: { workspaceTemplate, updatedAt: sql`now()` } })
    .returning();
  return row!;
}
