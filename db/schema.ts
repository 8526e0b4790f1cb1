import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/**
 * The append-only audit log. `cursor` is the stream position (assigned in commit order, see
 * db/events.ts); `event_id` makes every write idempotent under activity retries and workflow replays.
 * Rows are never updated, and deleted only by an explicit retention job.
 */
export const events = pgTable(
  'events',
  {
    cursor: bigserial('cursor', { mode: 'number' }).primaryKey(),
    eventId: uuid('event_id').notNull(),
    type: text('type').notNull(),
    version: integer('version').notNull().default(1),
    executionId: uuid('execution_id').notNull(),
    runId: uuid('run_id'),
    runNumber: bigint('run_number', { mode: 'number' }),
    turnNumber: integer('turn_number'),
    attempt: integer('attempt'),
    actor: jsonb('actor'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    payload: jsonb('payload').notNull().default({}),
  },
  (t) => [
    uniqueIndex('events_event_id_key').on(t.eventId),
    index('events_execution_cursor_idx').on(t.executionId, t.cursor),
  ],
);

/** Projection: one row per execution, kept current by the events that change it. */
export const executions = pgTable(
  'executions',
  {
    id: uuid('id').primaryKey(),
    projectId: text('project_id').notNull(),
    ownerId: text('owner_id').notNull(),
    agentId: text('agent_id'),
    prompt: text('prompt').notNull(),
    planMode: text('plan_mode').notNull(),
    /** `{provider, model}` the runs use. */
    model: jsonb('model').notNull().default({ provider: 'demo', model: 'demo' }),
    ticket: text('ticket'),
    approvalTimeoutMs: bigint('approval_timeout_ms', { mode: 'number' }).notNull().default(86_400_000),
    status: text('status').notNull(),
    currentRunId: uuid('current_run_id'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('executions_project_created_idx').on(t.projectId, t.createdAt.desc()),
    index('executions_owner_created_idx').on(t.ownerId, t.createdAt.desc()),
  ],
);

/** Projection: one row per run. `number` is global across all executions (Run-1, Run-2, ...). */
export const runs = pgTable(
  'runs',
  {
    id: uuid('id').primaryKey(),
    number: bigint('number', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    executionId: uuid('execution_id')
      .notNull()
      .references(() => executions.id),
    /** 1, 2, ... within the execution; the child workflow id is execution-<executionId>-run-<index>. */
    index: integer('index').notNull(),
    trigger: text('trigger').notNull(),
    turnNumber: integer('turn_number').notNull(),
    attempt: integer('attempt').notNull(),
    status: text('status').notNull(),
    summary: text('summary'),
    error: jsonb('error'),
    /** Why a cancelled run was cancelled: stopped, plan_rejected, approval_timeout, operator. */
    cancelReason: text('cancel_reason'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('runs_number_key').on(t.number),
    uniqueIndex('runs_execution_index_key').on(t.executionId, t.index),
  ],
);

/** The conversation of an execution: each turn's user message and the agent's answer. */
export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey(),
    executionId: uuid('execution_id')
      .notNull()
      .references(() => executions.id),
    turnNumber: integer('turn_number').notNull(),
    role: text('role').notNull(),
    content: text('content').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('messages_execution_idx').on(t.executionId, t.createdAt)],
);

/** API bearer tokens, stored only as SHA-256 hashes. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    name: text('name').notNull(),
    ownerId: text('owner_id').notNull(),
    permissions: text('permissions').array().notNull().default(sql`'{}'::text[]`),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_tokens_token_hash_key').on(t.tokenHash)],
);
