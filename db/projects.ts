import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from './client.ts';
import { projectMembers, projects } from './schema.ts';

export type ProjectRow = typeof projects.$inferSelect;

/** A template's credentials, kept apart from it (write-only: only the worker reads them). */
export interface ProjectSecrets {
  /** The git URL with its credentials; the template's `url` has them masked. */
  gitUrl?: string;
}

const EMPTY_TEMPLATE = { type: 'empty' };

export async function findProject(db: Pick<Database, 'select'>, tenantId: string, id: string): Promise<ProjectRow | undefined> {
  const [row] = await db
    .select()
    .from(projects)
    .where(and(eq(projects.tenantId, tenantId), eq(projects.id, id)));
  return row;
}

/** The projects of a tenant that `userId` is a member of (every one of them without a user). */
export async function listProjects(db: Database, tenantId: string, userId?: string): Promise<ProjectRow[]> {
  const mine = userId
    ? inArray(
        projects.id,
        db
          .select({ id: projectMembers.projectId })
          .from(projectMembers)
          .where(and(eq(projectMembers.tenantId, tenantId), eq(projectMembers.userId, userId))),
      )
    : undefined;
  return db
    .select()
    .from(projects)
    .where(and(eq(projects.tenantId, tenantId), mine))
    .orderBy(asc(projects.id));
}

export interface ProjectTemplate {
  workspaceTemplate?: unknown;
  secrets?: ProjectSecrets | null;
}

/** Creates the project (an empty folder's template unless one is given) with `creator` as its first member; undefined when it exists. */
export async function createProject(
  db: Database,
  project: ProjectTemplate & { tenantId: string; id: string; creator?: string },
): Promise<ProjectRow | undefined> {
  const { tenantId, id, creator } = project;
  return db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(projects)
      .values({ tenantId, id, workspaceTemplate: project.workspaceTemplate ?? EMPTY_TEMPLATE, secrets: project.secrets ?? null })
      .onConflictDoNothing()
      .returning();
    if (inserted && creator) await tx.insert(projectMembers).values({ tenantId, projectId: id, userId: creator });
    return inserted;
  });
}

/** Sets a project's template (used by executions created from now on). */
export async function updateProject(db: Database, tenantId: string, id: string, template: Required<ProjectTemplate>): Promise<ProjectRow> {
  const [updated] = await db
    .update(projects)
    .set({ ...template, updatedAt: sql`now()` })
    .where(and(eq(projects.tenantId, tenantId), eq(projects.id, id)))
    .returning();
  if (!updated) throw new Error(`no project ${tenantId}/${id}`);
  return updated;
}

export async function isProjectMember(db: Database, tenantId: string, projectId: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ userId: projectMembers.userId })
    .from(projectMembers)
    .where(and(eq(projectMembers.tenantId, tenantId), eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
  return row !== undefined;
}

export async function listProjectMembers(db: Database, tenantId: string, projectId: string) {
  return db
    .select({ userId: projectMembers.userId, addedAt: projectMembers.createdAt })
    .from(projectMembers)
    .where(and(eq(projectMembers.tenantId, tenantId), eq(projectMembers.projectId, projectId)))
    .orderBy(asc(projectMembers.createdAt), asc(projectMembers.userId));
}

/** Adds a member; false when they were one already. */
export async function addProjectMember(db: Database, tenantId: string, projectId: string, userId: string): Promise<boolean> {
  const rows = await db.insert(projectMembers).values({ tenantId, projectId, userId }).onConflictDoNothing().returning();
  return rows.length > 0;
}

/** Removes a member; false when they were none. */
export async function removeProjectMember(db: Database, tenantId: string, projectId: string, userId: string): Promise<boolean> {
  const rows = await db
    .delete(projectMembers)
    .where(and(eq(projectMembers.tenantId, tenantId), eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)))
    .returning();
  return rows.length > 0;
}

/** Sets which agents may run in the project (seed 000's policy). */
export async function setProjectPolicy(
  db: Database,
  project: ProjectRow,
  policy: { disabledAgents: string[]; allowedAgents: string[] | null },
): Promise<ProjectRow> {
  const [updated] = await db
    .update(projects)
    .set({ ...policy, updatedAt: sql`now()` })
    .where(and(eq(projects.tenantId, project.tenantId), eq(projects.id, project.id)))
    .returning();
  return updated!;
}
