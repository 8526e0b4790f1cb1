import { Hono } from 'hono';
import { z } from 'zod';
import type { WorkspaceTemplate } from '../../activities/workspace/driver.ts';
import { templateProblem, tenantPlaces } from '../../activities/workspace/template-places.ts';
import { isTenantAdmin } from '../../common/permissions.ts';
import { splitCredentials } from '../../common/template-credentials.ts';
import {
  addProjectMember,
  createProject,
  findProject,
  listProjectMembers,
  listProjects,
  type ProjectRow,
  type ProjectSecrets,
  removeProjectMember,
  setProjectPolicy,
  updateProject,
} from '../../db/projects.ts';
import { findUserById } from '../../db/tenants.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { canUseProject, creatorOf, loadUsableProject, MAX_PROJECT_ID } from '../project-access.ts';
import { nonBlank, readJsonBody, readOptionalJson, validate } from '../validation.ts';
import { agentId } from './agents.ts';

const workspaceTemplate = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('empty') }),
  z.strictObject({
    type: z.literal('path'),
    path: nonBlank(4096).refine((p) => p.startsWith('/'), 'must be an absolute path on the worker machine'),
  }),
  z.strictObject({ type: z.literal('git'), url: nonBlank(4096), ref: nonBlank(200).optional() }),
]);
const projectBody = z.strictObject({ workspaceTemplate });
const agentIds = z.array(agentId).max(1000);
/** Seed 000's policy for a project: agents disabled in it, and (when set) the only ones allowed. */
const policyBody = z.strictObject({ disabledAgents: agentIds.default([]), allowedAgents: agentIds.nullable().default(null) });
/** Member changes take no body (an empty JSON object at most). */
const noBody = z.strictObject({});

/**
 * Projects: where new executions' workspaces come from, and who runs work in them. `PUT
 * /v1/projects/:id` (project:write) creates one, its creator its first member, or sets its template;
 * members (and the tenant's admins) add and remove members. A project nobody configured starts from an
 * empty folder; one is also created on first use (POST /v1/executions, by a caller with project:write).
 */
export function projectRoutes({ db, templatePlaces }: AppDeps) {
  const view = async (project: ProjectRow) => ({
    id: project.id,
    // Masked again on the way out: a project saved before credentials were kept apart has them in its template.
    workspaceTemplate: splitCredentials(project.workspaceTemplate as WorkspaceTemplate).template,
    members: (await listProjectMembers(db, project.tenantId, project.id)).map((m) => ({ userId: m.userId, addedAt: m.addedAt.toISOString() })),
    disabledAgents: project.disabledAgents,
    allowedAgents: project.allowedAgents,
    createdAt: project.createdAt.toISOString(),
    updatedAt: project.updatedAt.toISOString(),
  });
  const member = async (tenantId: string, userId: string) => {
    const user = await findUserById(db, userId);
    if (!user || user.tenantId !== tenantId) throw new ApiError(404, 'not_found', `no user ${userId}`);
    return user;
  };

  return new Hono<AuthEnv>()
    .get('/', requirePermission('execution:read'), async (c) => {
      const { caller } = c.var;
      const everyone = caller.kind === 'integration' || isTenantAdmin(caller);
      const rows = await listProjects(db, caller.tenantId, everyone ? undefined : caller.id);
      return c.json({ items: await Promise.all(rows.map(view)) });
    })
    .get('/:id', requirePermission('execution:read'), async (c) => c.json(await view(await loadUsableProject(db, c.var.caller, c.req.param('id')))))
    .put('/:id', requirePermission('project:write'), async (c) => {
      const { caller } = c.var;
      const id = c.req.param('id');
      if (id.length > MAX_PROJECT_ID) throw new ApiError(400, 'invalid_request', `project id must be at most ${MAX_PROJECT_ID} characters`);
      const body = await readJsonBody(c, projectBody);
      const problem = templateProblem(body.workspaceTemplate, tenantPlaces(templatePlaces, caller.tenantId));
      if (problem) throw new ApiError(400, 'invalid_request', `workspaceTemplate: ${problem}`);
      const existing = await findProject(db, caller.tenantId, id);
      if (existing && !(await canUseProject(db, caller, existing))) throw new ApiError(404, 'not_found', `no project ${id}`);
      const { template, secrets } = splitCredentials(body.workspaceTemplate, existing?.secrets as ProjectSecrets | null);
      const created = existing
        ? undefined
        : await createProject(db, { tenantId: caller.tenantId, id, workspaceTemplate: template, secrets, creator: creatorOf(caller) });
      if (created) return c.json(await view(created), 201);
      // Created by someone else meanwhile: changed only when it is the caller's to change.
      await loadUsableProject(db, caller, id);
      return c.json(await view(await updateProject(db, caller.tenantId, id, { workspaceTemplate: template, secrets })));
    })
    .put('/:id/policy', requirePermission('tenant:admin'), async (c) => {
      const project = await loadUsableProject(db, c.var.caller, c.req.param('id'));
      const body = await readJsonBody(c, policyBody);
      const unique = (ids: string[] | null) => ids && [...new Set(ids)];
      return c.json(
        await view(await setProjectPolicy(db, project, { disabledAgents: unique(body.disabledAgents)!, allowedAgents: unique(body.allowedAgents) })),
      );
    })
    .put('/:id/members/:userId', requirePermission('project:write'), async (c) => {
      validate(noBody, await readOptionalJson(c));
      const project = await loadUsableProject(db, c.var.caller, c.req.param('id'));
      const user = await member(project.tenantId, c.req.param('userId'));
      const added = await addProjectMember(db, project.tenantId, project.id, user.id);
      return c.json(await view(project), added ? 201 : 200);
    })
    .delete('/:id/members/:userId', requirePermission('project:write'), async (c) => {
      validate(noBody, await readOptionalJson(c));
      const project = await loadUsableProject(db, c.var.caller, c.req.param('id'));
      const user = await member(project.tenantId, c.req.param('userId'));
      // Members add members and may leave; only an admin removes someone else (a member cannot lock the others out).
      if (user.id !== c.var.caller.id && !isTenantAdmin(c.var.caller)) {
        throw new ApiError(403, 'forbidden', `only an admin removes another member from project ${project.id}`);
      }
      if (!(await removeProjectMember(db, project.tenantId, project.id, user.id))) {
        throw new ApiError(404, 'not_found', `user ${user.id} is not a member of project ${project.id}`);
      }
      return c.json(await view(project));
    });
}
