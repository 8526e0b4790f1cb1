ALTER TABLE "executions" ADD COLUMN "pending_plan" jsonb;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "pending_tool_call_id" uuid;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "queue_position" integer;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "files_changed" integer;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "files_truncated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tool_calls" ADD COLUMN "started_at" timestamp with time zone;