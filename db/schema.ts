import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  pgSequence,
  pgTable,
  primaryKey,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { jsonb, text } from './storable-columns.ts';

/** Postgres full-text document; written by Postgres itself (a generated column). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

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
  (t) => [uniqueIndex('events_event_id_key').on(t.eventId), index('events_execution_cursor_idx').on(t.executionId, t.cursor)],
);

/** Projection: one row per execution, kept current by the events that change it. */
export const executions = pgTable(
  'executions',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    projectId: text('project_id').notNull(),
    ownerId: text('owner_id').notNull(),
    agentId: text('agent_id'),
    prompt: text('prompt').notNull(),
    planMode: text('plan_mode').notNull(),
    /** `{provider, model}` the runs use. */
    model: jsonb('model').notNull().default({ provider: 'demo', model: 'demo' }),
    ticket: text('ticket'),
    approvalTimeoutMs: bigint('approval_timeout_ms', { mode: 'number' }).notNull().default(86_400_000),
    /** Per-execution budget overrides (`{maxSteps?, maxCostUsd?, maxDurationMs?}`) over the agent's. */
    budgets: jsonb('budgets'),
    /** What the execution works on, for item badges (seed 000): `{type, id}`, both set or neither. */
    targetType: text('target_type'),
    targetId: text('target_id'),
    /** Started from the background-agents API (seed 002). */
    background: boolean('background').notNull().default(false),
    /** Set while archived: out of default lists and the status summary, still readable. */
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    /** `private`: its owner and those it is shared with see it; `tenant`: everyone in its tenant does. */
    visibility: text('visibility').notNull().default('private'),
    status: text('status').notNull(),
    currentRunId: uuid('current_run_id'),
    /** While `awaiting_approval`: the plan that waits for a decision. */
    pendingPlan: jsonb('pending_plan').$type<{ runId: string; version: number; text: string }>(),
    /** While `waiting_permission`: the tool call that waits for a person (its tool and input are in tool_calls). */
    pendingToolCallId: uuid('pending_tool_call_id'),
    /** While `queued`: the 1-based place in the project's queue. */
    queuePosition: integer('queue_position'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * The prompt as a full-text document for `q=` searches: its first 100,000 characters, since a
     * tsvector holds at most 1 MB and a prompt may be larger (its row must still be written).
     */
    searchVector: tsvector('search_vector').generatedAlwaysAs(sql`to_tsvector('english', left(prompt, 100000))`),
  },
  (t) => [
    // Lists page newest first by (created_at desc, id desc), Postgres's default NULLS FIRST for desc
    // included: only an index in exactly that order serves the ORDER BY and the keyset condition.
    index('executions_project_created_idx').on(t.projectId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('executions_owner_created_idx').on(t.ownerId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('executions_owner_agent_created_idx').on(t.ownerId, t.agentId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('executions_target_idx').on(t.targetType, t.targetId),
    index('executions_search_idx').using('gin', t.searchVector),
  ],
);

/** Projection: whom an execution is shared with, and how (`read`, or `collaborate`: also decide, stop and message). */
export const executionShares = pgTable(
  'execution_shares',
  {
    executionId: uuid('execution_id')
      .notNull()
      .references(() => executions.id),
    userId: text('user_id').notNull(),
    access: text('access').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.executionId, t.userId] }), index('execution_shares_user_idx').on(t.userId)],
);

/** Projection: the comments on an execution, apart from the agent conversation (events comment.*). */
export const comments = pgTable(
  'comments',
  {
    id: uuid('id').primaryKey(),
    executionId: uuid('execution_id')
      .notNull()
      .references(() => executions.id),
    authorId: text('author_id').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    editedAt: timestamp('edited_at', { withTimezone: true }),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [index('comments_execution_idx').on(t.executionId, t.createdAt)],
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
    /** Structured output, for agents with an output schema. */
    output: jsonb('output'),
    /** The system prompt the run's model steps use (agent prompt, AGENTS.md, progress log). */
    systemPrompt: text('system_prompt'),
    /** The agent's tools and output schema when the run was prepared: editing the agent mid-run changes neither. */
    tools: text('tools').array(),
    outputSchema: jsonb('output_schema'),
    /** The workspace snapshot the run started from: its results are the changes since. */
    baseline: text('baseline'),
    /** How many files the run changed in all; `run_files` holds the first of them (see activities/run-results.ts). */
    filesChanged: integer('files_changed'),
    /** More files changed than `run_files` holds. */
    filesTruncated: boolean('files_truncated').notNull().default(false),
    // Usage, summed from model.step_completed and tool.call_completed events.
    modelSteps: integer('model_steps').notNull().default(0),
    toolCalls: integer('tool_calls').notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    cachedInputTokens: bigint('cached_input_tokens', { mode: 'number' }).notNull().default(0),
    reasoningTokens: bigint('reasoning_tokens', { mode: 'number' }).notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    /** Model steps whose model had no price: while above 0 the run's cost is unknown (null). */
    unpricedSteps: integer('unpriced_steps').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('runs_number_key').on(t.number), uniqueIndex('runs_execution_index_key').on(t.executionId, t.index)],
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

/** Tenants (organisations): everything else belongs to exactly one, and nothing is seen across them. */
export const tenants = pgTable('tenants', {
  /** A slug, like `acme`: `[a-z0-9][a-z0-9_-]*`. */
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Agents disabled for the whole tenant (seed 000's policy): no run of theirs starts. */
  disabledAgents: text('disabled_agents').array().notNull().default(sql`'{}'::text[]`),
  /** Concurrency caps (seed 001): executions at work at once in the tenant, and per user; null: the defaults. */
  maxRunning: integer('max_running'),
  maxRunningPerUser: integer('max_running_per_user'),
  createdAt: createdAt(),
});

/** People, each a member of one tenant with a role (common/permissions.ts says what each role may do). */
export const users = pgTable(
  'users',
  {
    /** Opaque and unique across tenants (executions name their owner by it); users from before tenants keep their owner id. */
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    /** Unique within the tenant: how operators and admins name the user. */
    name: text('name').notNull(),
    /** admin | member | viewer */
    role: text('role').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_tenant_name_key').on(t.tenantId, t.name)],
);

/**
 * API bearer tokens, stored only as SHA-256 hashes. A personal token belongs to a user and may do what
 * both its permissions and the user's role allow; a token with no user is the tenant's integration
 * token (a chat or ticketing bot): it may do what its permissions say, across the tenant.
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    name: text('name').notNull(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    userId: text('user_id').references(() => users.id),
    /** Who issued it: an admin's id (`POST /v1/tenant/tokens`), or null for an operator's (`npm run tokens`) and the service token. */
    createdBy: text('created_by'),
    permissions: text('permissions').array().notNull().default(sql`'{}'::text[]`),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_tokens_token_hash_key').on(t.tokenHash)],
);

/** Agents, each a tenant's: which model works, with what instructions, tools, policy and budgets. */
export const agents = pgTable(
  'agents',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    id: text('id').notNull(),
    name: text('name').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    systemPrompt: text('system_prompt').notNull().default(''),
    allowedTools: text('allowed_tools').array().notNull(),
    /** Tools whose every call waits for a person's approval (`waiting_permission`). */
    toolsNeedingApproval: text('tools_needing_approval').array().notNull(),
    enabled: boolean('enabled').notNull().default(true),
    /** A JSON Schema: when set, a run ends with structured output validated against it. */
    outputSchema: jsonb('output_schema'),
    maxSteps: integer('max_steps').notNull(),
    maxCostUsd: doublePrecision('max_cost_usd'),
    maxDurationMs: bigint('max_duration_ms', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

/**
 * Projects, each a tenant's: where an execution's workspace comes from (`{type: empty}`, a local path
 * or a git repository). Only its members (and the tenant's admins and integrations) run work in it.
 */
export const projects = pgTable(
  'projects',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    id: text('id').notNull(),
    /** As set, but for a git URL's credentials, which are in `secrets` (write-only: never returned). */
    workspaceTemplate: jsonb('workspace_template').notNull(),
    /** The template's credentials (`{gitUrl}`: the URL with them), used by the worker only. */
    secrets: jsonb('secrets'),
    /** Agents disabled in this project; and, when set, the only agents allowed in it. */
    disabledAgents: text('disabled_agents').array().notNull().default(sql`'{}'::text[]`),
    allowedAgents: text('allowed_agents').array(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

/** Who may run work in a project. */
export const projectMembers = pgTable(
  'project_members',
  {
    tenantId: text('tenant_id').notNull(),
    projectId: text('project_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.projectId, t.userId] })],
);

/**
 * The transcript of a run beyond the conversation: the model's message of each step and notes
 * the system added after it. Tool results come from `tool_calls`. Activities load it by run id.
 */
export const runMessages = pgTable(
  'run_messages',
  {
    runId: uuid('run_id').notNull(),
    step: integer('step').notNull(),
    /** `assistant`: the model's message; `note`: a user message the system added after the step. */
    kind: text('kind').notNull(),
    message: jsonb('message').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.step, t.kind] })],
);

/** Every tool call a model made: input, decision and full output (events carry truncated copies). */
export const toolCalls = pgTable(
  'tool_calls',
  {
    /** Ours, derived from run, step and position; `providerCallId` is the model's own id. */
    id: uuid('id').primaryKey(),
    executionId: uuid('execution_id').notNull(),
    runId: uuid('run_id').notNull(),
    step: integer('step').notNull(),
    position: integer('position').notNull(),
    providerCallId: text('provider_call_id').notNull(),
    tool: text('tool').notNull(),
    input: jsonb('input'),
    /** requested → (waiting_permission → approved | denied) → completed */
    status: text('status').notNull(),
    output: text('output'),
    isError: boolean('is_error'),
    /** The file a write or edit changed: `{path, added, removed}`. */
    change: jsonb('change'),
    decidedBy: jsonb('decided_by'),
    createdAt: createdAt(),
    /** When an attempt started running a tool with side effects: a later attempt that finds it set without an output does not run it again blind. */
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('tool_calls_run_idx').on(t.runId, t.step, t.position), index('tool_calls_execution_idx').on(t.executionId, t.status)],
);

/** What each run changed in the workspace, from its baseline: `+added/-removed` and the unified diff. */
export const runFiles = pgTable(
  'run_files',
  {
    runId: uuid('run_id').notNull(),
    path: text('path').notNull(),
    added: integer('added').notNull(),
    removed: integer('removed').notNull(),
    diff: text('diff').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.path] })],
);

/** The execution's append-only progress log: each run adds what it did; later runs read it. */
export const progressEntries = pgTable(
  'progress_entries',
  {
    runId: uuid('run_id').primaryKey(),
    executionId: uuid('execution_id').notNull(),
    text: text('text').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('progress_entries_execution_idx').on(t.executionId, t.createdAt)],
);

/**
 * A project's slot (one execution at a time per project): the row of the execution holding it, there
 * while it holds it. Claimed with one insert when nobody holds it; see db/project-slots.ts.
 */
export const projectSlots = pgTable(
  'project_slots',
  {
    tenantId: text('tenant_id').notNull(),
    projectId: text('project_id').notNull(),
    requestId: text('request_id').notNull(),
    /** The execution's owner when it asked: what the per-user cap counts. */
    ownerId: text('owner_id'),
    /** The holder's execution workflow and its workflow run: a run closed without releasing is found by it. */
    workflowId: text('workflow_id').notNull(),
    workflowRunId: text('workflow_run_id').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    grantedAt: timestamp('granted_at', { withTimezone: true }).notNull().defaultNow(),
    /** When the holder was told it holds the slot; null for a grant whose news has not been sent yet. */
    toldAt: timestamp('told_at', { withTimezone: true }).defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.projectId] }),
    // What one owner holds, counted by every claim for the per-user cap.
    index('project_slots_owner_idx').on(t.tenantId, t.ownerId),
    // Grants not told yet, which the maintenance scan tells again.
    index('project_slots_untold_idx').on(t.grantedAt).where(sql`${t.toldAt} is null`),
  ],
);

/** Stamps each change of a slot's queue, so a waiter told two positions keeps the later one. */
export const projectSlotChanges = pgSequence('project_slot_changes');

/** Executions waiting for their project's slot, served in the order their runs were created. */
export const projectSlotWaiters = pgTable(
  'project_slot_waiters',
  {
    requestId: text('request_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    projectId: text('project_id').notNull(),
    ownerId: text('owner_id'),
    workflowId: text('workflow_id').notNull(),
    workflowRunId: text('workflow_run_id').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('project_slot_waiters_queue_idx').on(t.tenantId, t.projectId, t.requestedAt, t.requestId),
    // The tenant's queue in order: its head, and who is ahead of a claim.
    index('project_slot_waiters_tenant_idx').on(t.tenantId, t.requestedAt, t.requestId),
  ],
);
