import { isTenantAdmin } from '../common/permissions.ts';
import type { Database } from '../db/client.ts';
import { createProject, findProject, isProjectMember, type ProjectRow } from '../db/projects.ts';
import type { Caller } from '../db/tokens.ts';
import { ApiError } from './errors.ts';

/** Project ids: what executions and lists name a project by. */
export const MAX_PROJECT_ID = 200;

/** Whether the caller may run work in the project and manage it: its members, and the tenant's admins and integrations. */
export async function canUseProject(db: Database, caller: Caller, project: ProjectRow): Promise<boolean> {
  if (project.tenantId !== caller.tenantId) return false;
  if (caller.kind === 'integration' || isTenantAdmin(caller)) return true;
  return isProjectMember(db, caller.tenantId, project.id, caller.id);
}

/** A project the caller may use, or 404: others' projects are not revealed to exist. */
export async function loadUsableProject(db: Database, caller: Caller, id: string): Promise<ProjectRow> {
  const project = await findProject(db, caller.tenantId, id);
  if (!project || !(await canUseProject(db, caller, project))) throw noProject(id);
  return project;
}

/**
 * The project a new execution runs in. One that does not exist yet is created on first use, with the
 * caller as its member, when the caller may create projects (project:write); otherwise 404.
 */
export async function projectForNewExecution(db: Database, caller: Caller, id: string): Promise<ProjectRow> {
  const existing = await findProject(db, caller.tenantId, id);
  if (existing) {
    if (!(await canUseProject(db, caller, existing))) throw noProject(id);
    return existing;
  }
  if (!caller.permissions.includes('project:write')) {
    throw new ApiError(404, 'not_found', `no project ${id}: a token with project:write creates it (PUT /v1/projects/${id}, or on first use)`);
  }
  const created = await createProject(db, { tenantId: caller.tenantId, id, creator: creatorOf(caller) });
  // Created by someone else at the same moment: theirs, so only theirs to use.
  return created ?? loadUsableProject(db, caller, id);
}

/**
 * Requires that the caller may still run work in the project of an execution they can see (a message,
 * retry or resume starts a run): 403 for one who has left it (or was never a member of it).
 */
export async function requireProjectAccess(db: Database, caller: Caller, projectId: string): Promise<void> {
  const project = await findProject(db, caller.tenantId, projectId);
  if (project && (await canUseProject(db, caller, project))) return;
  throw new ApiError(403, 'forbidden', `you are not a member of project ${projectId}, so you cannot start work in it`);
}

/** Who becomes a new project's first member: its creator, unless that is an integration (which uses every project). */
export const creatorOf = (caller: Caller) => (caller.kind === 'user' ? caller.id : undefined);

const noProject = (id: string) => new ApiError(404, 'not_found', `no project ${id}`);
