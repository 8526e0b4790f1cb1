import { and, eq, isNull } from 'drizzle-orm';
import type { NewEvent } from '../common/events.ts';
import type { Transaction } from './projections.ts';
import { comments, executionShares, executions } from './schema.ts';

/**
 * Projects a change of who may see an execution: a share given or taken back, its visibility, a
 * hand-off (the new owner's share, if any, is gone: they own it; the one who handed it off keeps read).
 * A change made while `owner` owned it changes nothing once it has been handed off (the two raced).
 */
export async function applyAccessChange(tx: Transaction, event: NewEvent, at: Date): Promise<void> {
  const payload = event.payload ?? {};
  const executionId = event.executionId;
  if (event.type !== 'execution.handed_off' && typeof payload.owner === 'string') {
    const [row] = await tx.select({ ownerId: executions.ownerId }).from(executions).where(eq(executions.id, executionId)).for('update');
    if (row && row.ownerId !== payload.owner) return;
  }
  const share = (userId: string, access: string) =>
    tx
      .insert(executionShares)
      .values({ executionId, userId, access, createdAt: at })
      .onConflictDoUpdate({ target: [executionShares.executionId, executionShares.userId], set: { access } });
  const unshare = (userId: string) =>
    tx.delete(executionShares).where(and(eq(executionShares.executionId, executionId), eq(executionShares.userId, userId)));
  switch (event.type) {
    case 'execution.shared':
      await share(String(payload.userId), String(payload.access));
      return;
    case 'execution.unshared':
      await unshare(String(payload.userId));
      return;
    case 'execution.visibility_changed':
      await tx
        .update(executions)
        .set({ visibility: String(payload.visibility), updatedAt: at })
        .where(eq(executions.id, executionId));
      return;
    case 'execution.handed_off': {
      // Only from its owner at the time: of two hand-offs at once, the second (from an owner gone) changes nothing.
      const moved = await tx
        .update(executions)
        .set({ ownerId: String(payload.to), updatedAt: at })
        .where(and(eq(executions.id, executionId), eq(executions.ownerId, String(payload.from))))
        .returning({ id: executions.id });
      if (!moved.length) return;
      await unshare(String(payload.to));
      await share(String(payload.from), 'read');
      return;
    }
  }
}

/** Projects a comment added, edited or deleted (a deleted one is kept, marked, and no longer listed). */
export async function applyComment(tx: Transaction, event: NewEvent, at: Date): Promise<void> {
  const payload = event.payload ?? {};
  const id = String(payload.commentId);
  const live = and(eq(comments.id, id), isNull(comments.deletedAt));
  switch (event.type) {
    case 'comment.added':
      await tx
        .insert(comments)
        .values({ id, executionId: event.executionId, authorId: String(event.actor?.id), body: String(payload.body), createdAt: at })
        .onConflictDoNothing();
      return;
    case 'comment.edited':
      await tx
        .update(comments)
        .set({ body: String(payload.body), editedAt: at })
        .where(live);
      return;
    case 'comment.deleted':
      await tx.update(comments).set({ deletedAt: at }).where(live);
      return;
  }
}
