DROP INDEX "executions_project_created_idx";--> statement-breakpoint
DROP INDEX "executions_owner_created_idx";--> statement-breakpoint
DROP INDEX "executions_owner_agent_created_idx";--> statement-breakpoint
CREATE INDEX "executions_project_created_idx" ON "executions" USING btree ("project_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "executions_owner_created_idx" ON "executions" USING btree ("owner_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "executions_owner_agent_created_idx" ON "executions" USING btree ("owner_id","agent_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);