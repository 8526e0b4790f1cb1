import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, ne, or, type SQL, sql } from 'drizzle-orm';
import { ACTIVE_STATUSES } from '../common/statuses.ts';
import type { Database } from './client.ts';
import { executionColumns } from './executions.ts';
import { executionShares, executions } from './schema.ts';

/** Whose executions a list shows: the caller's own, those shared with them, the tenant's visible to all, or all of these. */
export const LIST_SCOPES = ['mine', 'shared', 'tenant', 'all'] as const;
export type ListScope = (typeof LIST_SCOPES)[number];

export interface ExecutionListFilter {
  /** The caller: the owner of `mine`. */
  ownerId: string;
  /** Which of what the caller may see (default `mine`); the others need the caller's tenant. */
  scope?: ListScope;
  tenantId?: string;
  projectId?: string;
  agentId?: string;
  statuses?: readonly string[];
  ticket?: string;
  target?: { type: string; id: string };
  /** createdAt at or after. */
  since?: Date;
  /** createdAt before. */
  until?: Date;
  /** false: archived ones hidden; true: only archived ones; 'all': both. */
  archived: boolean | 'all';
  background?: boolean;
  /** Full-text search over the prompt (web-search syntax): ordered by rank, then newest. */
  q?: string;
  /** Continue after this position of the same order; `rank` is set exactly when `q` is. */
  after?: { createdAt: Date; id: string; rank?: number };
  limit: number;
}

/** One page of an owner's executions: newest first, or by search rank with `q`; ties by id, so the order is stable. */
export function listExecutions(db: Database, filter: ExecutionListFilter) {
  const query = filter.q === undefined ? undefined : sql`websearch_to_tsquery('english', ${filter.q})`;
  const rank = query ? sql<number>`ts_rank(${executions.searchVector}, ${query})` : undefined;
  const conditions = filterConditions(filter);
  // A q with no searchable words (only stop words, say) is an empty tsquery, which matches nothing.
  if (query) conditions.push(sql`${executions.searchVector} @@ ${query}`);
  if (filter.after) conditions.push(afterPosition(filter.after, rank));
  return db
    .select({ ...executionColumns, rank: rank ?? sql<number | null>`null` })
    .from(executions)
    .where(and(...conditions))
    .orderBy(...(rank ? [desc(rank)] : []), desc(executions.createdAt), desc(executions.id))
    .limit(filter.limit);
}

function filterConditions(filter: Omit<ExecutionListFilter, 'q' | 'after' | 'limit'>): SQL[] {
  const conditions = [whose(filter)];
  if (filter.projectId) conditions.push(eq(executions.projectId, filter.projectId));
  if (filter.agentId) conditions.push(eq(executions.agentId, filter.agentId));
  if (filter.statuses?.length) conditions.push(inArray(executions.status, filter.statuses));
  if (filter.ticket) conditions.push(eq(executions.ticket, filter.ticket));
  if (filter.target) conditions.push(eq(executions.targetType, filter.target.type), eq(executions.targetId, filter.target.id));
  if (filter.since) conditions.push(gte(executions.createdAt, filter.since));
  if (filter.until) conditions.push(lt(executions.createdAt, filter.until));
  if (filter.archived !== 'all') conditions.push(filter.archived ? isNotNull(executions.archivedAt) : isNull(executions.archivedAt));
  if (filter.background !== undefined) conditions.push(eq(executions.background, filter.background));
  return conditions;
}

function whose({ ownerId, scope = 'mine', tenantId }: Pick<ExecutionListFilter, 'ownerId' | 'scope' | 'tenantId'>): SQL {
  if (scope === 'mine') return eq(executions.ownerId, ownerId);
  if (!tenantId) throw new Error(`a list of scope ${scope} needs the caller's tenant`);
  const shared = inArray(
    executions.id,
    sql`(select ${executionShares.executionId} from ${executionShares} where ${executionShares.userId} = ${ownerId})`,
  );
  const everyone = eq(executions.visibility, 'tenant');
  const inTenant = eq(executions.tenantId, tenantId);
  if (scope === 'shared') return and(inTenant, ne(executions.ownerId, ownerId), shared)!;
  if (scope === 'tenant') return and(inTenant, ne(executions.ownerId, ownerId), everyone)!;
  return and(inTenant, or(eq(executions.ownerId, ownerId), everyone, shared))!;
}

/**
 * Rows strictly after the position in the list's order. Every key sorts descending, so a row
 * comparison does it. The rank is compared as `real` (what ts_rank returns) so equal ranks are equal.
 */
function afterPosition(position: NonNullable<ExecutionListFilter['after']>, rank: SQL | undefined): SQL {
  const createdAt = sql`${position.createdAt.toISOString()}::timestamptz`;
  const id = sql`${position.id}::uuid`;
  return rank
    ? sql`(${rank}, ${executions.createdAt}, ${executions.id}) < (${position.rank}::real, ${createdAt}, ${id})`
    : sql`(${executions.createdAt}, ${executions.id}) < (${createdAt}, ${id})`;
}

/** Whether any of an owner's unarchived executions on this target is active now. */
export async function targetIsActive(db: Database, ownerId: string, target: { type: string; id: string }): Promise<boolean> {
  const [row] = await db
    .select({ id: executions.id })
    .from(executions)
    .where(and(...filterConditions({ ownerId, target, statuses: ACTIVE_STATUSES, archived: false })))
    .limit(1);
  return row !== undefined;
}
