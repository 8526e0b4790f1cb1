import { Hono } from 'hono';
import { z } from 'zod';
import { findProject, type ProjectRow, saveProject } from '../../db/projects.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, requirePermission } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { nonBlank, readJsonBody } from '../validation.ts';

const workspaceTemplate = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('empty') }),
  z.strictObject({
    type: z.literal('path'),
    path: nonBlank(4096).refine((p) => p.startsWith('/'), 'must be an absolute path on the worker machine'),
  }),
  z.strictObject({ type: z.literal('git'), url: nonBlank(4096), ref: nonBlank(200).optional() }),
]);
const projectBody = z.strictObject({ workspaceTemplate });

/**
 * Projects: where new executions' workspaces come from. `PUT /v1/projects/:id` (permission
 * project:write) sets the template; a project never configured starts from an empty folder.
 */
export function projectRoutes({ db }: AppDeps) {
  return new Hono<AuthEnv>()
    .get('/:id', requirePermission('execution:read'), async (c) => {
      const project = await findProject(db, c.req.param('id'));
      return c.json(project ? projectView(project) : { id: c.req.param('id'), workspaceTemplate: { type: 'empty' }, configured: false });
    })
    .put('/:id', requirePermission('project:write'), async (c) => {
      const id = c.req.param('id');
      if (id.length > 200) throw new ApiError(400, 'invalid_request', 'project id must be at most 200 characters');
      const body = await readJsonBody(c, projectBody);
      return c.json(projectView(await saveProject(db, id, body.workspaceTemplate)));
    });
}

const projectView = (project: ProjectRow) => ({
  id: project.id,
  workspaceTemplate: project.workspaceTemplate,
  configured: true,
  updatedAt: project.updatedAt.toISOString(),
});
