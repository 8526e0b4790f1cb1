CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"system_prompt" text DEFAULT '' NOT NULL,
	"allowed_tools" text[] NOT NULL,
	"tools_needing_approval" text[] NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"output_schema" jsonb,
	"max_steps" integer NOT NULL,
	"max_cost_usd" double precision,
	"max_duration_ms" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "progress_entries" (
	"run_id" uuid PRIMARY KEY NOT NULL,
	"execution_id" uuid NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_template" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_files" (
	"run_id" uuid NOT NULL,
	"path" text NOT NULL,
	"added" integer NOT NULL,
	"removed" integer NOT NULL,
	"diff" text NOT NULL,
	CONSTRAINT "run_files_run_id_path_pk" PRIMARY KEY("run_id","path")
);
--> statement-breakpoint
CREATE TABLE "run_messages" (
	"run_id" uuid NOT NULL,
	"step" integer NOT NULL,
	"kind" text NOT NULL,
	"message" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_messages_run_id_step_kind_pk" PRIMARY KEY("run_id","step","kind")
);
--> statement-breakpoint
CREATE TABLE "tool_calls" (
	"id" uuid PRIMARY KEY NOT NULL,
	"execution_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"step" integer NOT NULL,
	"position" integer NOT NULL,
	"provider_call_id" text NOT NULL,
	"tool" text NOT NULL,
	"input" jsonb,
	"status" text NOT NULL,
	"output" text,
	"is_error" boolean,
	"change" jsonb,
	"decided_by" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "budgets" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "output" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "system_prompt" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "baseline" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "model_steps" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "tool_calls" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "input_tokens" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "output_tokens" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "cached_input_tokens" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "reasoning_tokens" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "cost_usd" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "unpriced_steps" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "progress_entries_execution_idx" ON "progress_entries" USING btree ("execution_id","created_at");--> statement-breakpoint
CREATE INDEX "tool_calls_run_idx" ON "tool_calls" USING btree ("run_id","step","position");--> statement-breakpoint
CREATE INDEX "tool_calls_execution_idx" ON "tool_calls" USING btree ("execution_id","status");--> statement-breakpoint
INSERT INTO "agents" ("id", "name", "provider", "model", "system_prompt", "allowed_tools", "tools_needing_approval", "max_steps", "max_cost_usd", "max_duration_ms")
VALUES (
  'default',
  'Default agent',
  'demo',
  'demo',
  'You are a careful software agent. Work in small, checked steps and keep changes minimal.',
  ARRAY['read_file', 'write_file', 'edit_file', 'list_files', 'search', 'run_command'],
  ARRAY['run_command'],
  50,
  5,
  3600000
) ON CONFLICT DO NOTHING;
