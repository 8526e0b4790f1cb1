import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { CommentEventType } from '../../common/access-events.ts';
import { type CommentRow, findComment, listComments } from '../../db/comments.ts';
import { appendEvent } from '../../db/events.ts';
import type { AppDeps } from '../app.ts';
import { type AuthEnv, actorOf, requirePermission } from '../auth.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { ApiError } from '../errors.ts';
import { isUuid, loadVisibleExecutionRow } from '../execution-access.ts';
import { nonBlank, readJsonBody, readOptionalJson, validate } from '../validation.ts';

const MAX_COMMENT = 20_000;
const commentBody = z.strictObject({ body: nonBlank(MAX_COMMENT) });
const listQuery = z.strictObject({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });

/**
 * Comments on an execution, apart from the agent conversation (seed 001): whoever may see the
 * execution reads and adds them; authors edit and delete their own. Each is an audit event
 * (`comment.added`, `comment.edited`, `comment.deleted`), so the execution's stream carries them live.
 */
export function commentRoutes({ db }: AppDeps) {
  const read = requirePermission('execution:read');

  const record = async (c: Context<AuthEnv>, executionId: string, type: CommentEventType, payload: Record<string, unknown>) => {
    await appendEvent(db, { eventId: randomUUID(), type, executionId, actor: actorOf(c.var.caller), occurredAt: new Date().toISOString(), payload });
  };
  /** The caller's own comment on a visible execution: 404 when there is none, 403 when it is someone else's. */
  const ownComment = async (c: Context<AuthEnv>) => {
    const { execution } = await loadVisibleExecutionRow(db, c.req.param('id')!, c.var.caller);
    const id = c.req.param('commentId')!;
    const comment = isUuid(id) ? await findComment(db, execution.id, id) : undefined;
    if (!comment) throw new ApiError(404, 'not_found', `no comment ${id}`);
    if (comment.authorId !== c.var.caller.id) throw new ApiError(403, 'forbidden', 'only its author edits or deletes a comment');
    return comment;
  };

  return new Hono<AuthEnv>()
    .get('/:id/comments', read, async (c) => {
      const { execution } = await loadVisibleExecutionRow(db, c.req.param('id'), c.var.caller);
      const { cursor, limit } = validate(listQuery, c.req.query());
      const rows = await listComments(db, execution.id, { after: cursor ? decodeCursor(cursor) : undefined, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return c.json({ items: page.map(commentView), nextCursor: rows.length > limit && last ? encodeCursor(last) : null });
    })
    .post('/:id/comments', read, async (c) => {
      const { execution } = await loadVisibleExecutionRow(db, c.req.param('id'), c.var.caller);
      const { body } = await readJsonBody(c, commentBody);
      const id = randomUUID();
      await record(c, execution.id, 'comment.added', { commentId: id, body });
      return c.json(commentView((await findComment(db, execution.id, id))!), 201);
    })
    .patch('/:id/comments/:commentId', read, async (c) => {
      const comment = await ownComment(c);
      const { body } = await readJsonBody(c, commentBody);
      if (body !== comment.body) await record(c, comment.executionId, 'comment.edited', { commentId: comment.id, body });
      const edited = await findComment(db, comment.executionId, comment.id);
      if (!edited) throw new ApiError(404, 'not_found', `no comment ${comment.id}: it was deleted meanwhile`);
      return c.json(commentView(edited));
    })
    .delete('/:id/comments/:commentId', read, async (c) => {
      validate(z.strictObject({}), await readOptionalJson(c));
      const comment = await ownComment(c);
      await record(c, comment.executionId, 'comment.deleted', { commentId: comment.id });
      return c.json({ id: comment.id, deleted: true });
    });
}

const commentView = (comment: CommentRow) => ({
  id: comment.id,
  executionId: comment.executionId,
  authorId: comment.authorId,
  body: comment.body,
  createdAt: comment.createdAt.toISOString(),
  editedAt: comment.editedAt?.toISOString() ?? null,
});
