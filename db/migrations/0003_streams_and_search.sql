DROP INDEX "executions_project_created_idx";--> statement-breakpoint
DROP INDEX "executions_owner_created_idx";--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "target_type" text;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "target_id" text;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "background" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', left(prompt, 100000))) STORED;--> statement-breakpoint
CREATE INDEX "executions_owner_agent_created_idx" ON "executions" USING btree ("owner_id","agent_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "executions_target_idx" ON "executions" USING btree ("target_type","target_id");--> statement-breakpoint
CREATE INDEX "executions_search_idx" ON "executions" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "executions_project_created_idx" ON "executions" USING btree ("project_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "executions_owner_created_idx" ON "executions" USING btree ("owner_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);