import { Hono } from 'hono';
import { z } from 'zod';
import { templateProblem } from '../../activities/workspace/template-places.ts';
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
  updateProject,
} from '../../db/projects.ts';
import { findUserById } from '../../db/tenants.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { canUseProject, creatorOf, loadUsableProject, MAX_PROJECT_ID } from '../project-access.ts';
import { nonBlank, readJsonBody, readOptionalJson, validate } from '../validation.ts';

const workspaceTemplate = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('empty') }),
  z.strictObject({
    type: z.literal('path'),
    path: nonBlank(4096).refine((p) => p.startsWith('/'), 'must be an absolute path on the worker machine'),
  }),
  z.strictObject({ type: z.literal('git'), url: nonBlank(4096), ref: nonBlank(200).optional() }),
]);
const projectBody = z.strictObject({ workspaceTemplate });
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
    workspaceTemplate: project.workspaceTemplate,
    members: (await listProjectMembers(db, project.tenantId, project.id)).map((m) => ({ userId: m.userId, addedAt: m.addedAt.toISOString() })),
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
      const everyone = caller.kind === 'integration' || caller.role === 'admin';
      const rows = await listProjects(db, caller.tenantId, everyone ? undefined : caller.id);
      return c.json({ items: await Promise.all(rows.map(view)) });
    })
    .get('/:id', requirePermission('execution:read'), async (c) => c.json(await view(await loadUsableProject(db, c.var.caller, c.req.param('id')))))
    .put('/:id', requirePermission('project:write'), async (c) => {
      const { caller } = c.var;
      const id = c.req.param('id');
      if (id.length > MAX_PROJECT_ID) throw new ApiError(400, 'invalid_request', `project id must be at most ${MAX_PROJECT_ID} characters`);
      const body = await readJsonBody(c, projectBody);
      const problem = templateProblem(body.workspaceTemplate, templatePlaces);
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
      if (!(await removeProjectMember(db, project.tenantId, project.id, user.id))) {
        throw new ApiError(404, 'not_found', `user ${user.id} is not a member of project ${project.id}`);
      }
      return c.json(await view(project));
    });
}
