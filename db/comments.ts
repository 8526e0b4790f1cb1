import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from './client.ts';
import { comments } from './schema.ts';

export type CommentRow = typeof comments.$inferSelect;

/** An execution's comments (not deleted), oldest first, after a position of that order. */
export function listComments(db: Database, executionId: string, options: { after?: { createdAt: Date; id: string }; limit: number }) {
  const after = options.after
    ? sql`(${comments.createdAt}, ${comments.id}) > (${options.after.createdAt.toISOString()}::timestamptz, ${options.after.id}::uuid)`
    : undefined;
  return db
    .select()
    .from(comments)
    .where(and(eq(comments.executionId, executionId), isNull(comments.deletedAt), after))
    .orderBy(asc(comments.createdAt), asc(comments.id))
    .limit(options.limit);
}

/** A comment on the execution, unless there is none or it was deleted. */
export async function findComment(db: Database, executionId: string, id: string): Promise<CommentRow | undefined> {
  const [row] = await db
    .select()
    .from(comments)
    .where(and(eq(comments.id, id), eq(comments.executionId, executionId), isNull(comments.deletedAt)));
  return row;
}
