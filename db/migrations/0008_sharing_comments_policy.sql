CREATE TABLE "comments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"execution_id" uuid NOT NULL,
	"author_id" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"edited_at" timestamp with time zone,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "execution_shares" (
	"execution_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"access" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "execution_shares_execution_id_user_id_pk" PRIMARY KEY("execution_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "created_by" text;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "visibility" text DEFAULT 'private' NOT NULL;--> statement-breakpoint
ALTER TABLE "project_slot_waiters" ADD COLUMN "owner_id" text;--> statement-breakpoint
ALTER TABLE "project_slots" ADD COLUMN "owner_id" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "disabled_agents" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "allowed_agents" text[];--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "disabled_agents" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "max_running" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "max_running_per_user" integer;--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_execution_id_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "execution_shares" ADD CONSTRAINT "execution_shares_execution_id_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "comments_execution_idx" ON "comments" USING btree ("execution_id","created_at");--> statement-breakpoint
CREATE INDEX "execution_shares_user_idx" ON "execution_shares" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "project_slot_waiters_tenant_idx" ON "project_slot_waiters" USING btree ("tenant_id","requested_at","request_id");--> statement-breakpoint
-- Slots held or asked for before owners were kept on them: their executions' owners, for the per-user cap.
UPDATE "project_slots" SET "owner_id" = "e"."owner_id" FROM "executions" "e" WHERE "project_slots"."workflow_id" = 'execution-' || "e"."id"::text;--> statement-breakpoint
UPDATE "project_slot_waiters" SET "owner_id" = "e"."owner_id" FROM "executions" "e" WHERE "project_slot_waiters"."workflow_id" = 'execution-' || "e"."id"::text;
