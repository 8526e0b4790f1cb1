ALTER TABLE "runs" ADD COLUMN "tools" text[];--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "output_schema" jsonb;