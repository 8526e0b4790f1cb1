CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"execution_id" uuid NOT NULL,
	"turn_number" integer NOT NULL,
	"role" text NOT NULL,
	"content" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "permissions" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "model" jsonb DEFAULT '{"provider":"demo","model":"demo"}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "ticket" text;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "approval_timeout_ms" bigint DEFAULT 86400000 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "cancel_reason" text;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_execution_id_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "messages_execution_idx" ON "messages" USING btree ("execution_id","created_at");--> statement-breakpoint
-- Tokens made before permissions existed could do everything; they keep doing so.
UPDATE "api_tokens" SET "permissions" = '{execution:read,execution:create,execution:cancel}'::text[];
