-- Tenants, users and tokens: everything from before belongs to one tenant, `default`, whose owners become its users
-- (the service token's owner, `default`, an admin; every other owner a member), keeping their ids.
CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
INSERT INTO "tenants" ("id", "name") VALUES ('default', 'Default');--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "users_tenant_name_key" ON "users" USING btree ("tenant_id","name");--> statement-breakpoint
INSERT INTO "users" ("id", "tenant_id", "name", "role")
SELECT "owner_id", 'default', "owner_id", CASE WHEN "owner_id" = 'default' THEN 'admin' ELSE 'member' END
FROM (SELECT "owner_id" FROM "api_tokens" UNION SELECT "owner_id" FROM "executions") AS "owners";--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "tenant_id" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ALTER COLUMN "tenant_id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "user_id" text;--> statement-breakpoint
UPDATE "api_tokens" SET "user_id" = "owner_id";--> statement-breakpoint
ALTER TABLE "api_tokens" DROP COLUMN "owner_id";--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "tenant_id" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ALTER COLUMN "tenant_id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "tenant_id" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ALTER COLUMN "tenant_id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "agents" DROP CONSTRAINT "agents_pkey";--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_tenant_id_id_pk" PRIMARY KEY("tenant_id","id");--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Projects: one row for every project executions ran in, even one never configured (it started from an empty
-- folder), so that each has members: the owners who ran executions in it.
ALTER TABLE "projects" ADD COLUMN "tenant_id" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ALTER COLUMN "tenant_id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "secrets" jsonb;--> statement-breakpoint
ALTER TABLE "projects" DROP CONSTRAINT "projects_pkey";--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_tenant_id_id_pk" PRIMARY KEY("tenant_id","id");--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
INSERT INTO "projects" ("tenant_id", "id", "workspace_template")
SELECT DISTINCT 'default', "project_id", '{"type":"empty"}'::jsonb FROM "executions" ON CONFLICT DO NOTHING;--> statement-breakpoint
CREATE TABLE "project_members" (
	"tenant_id" text NOT NULL,
	"project_id" text NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "project_members_tenant_id_project_id_user_id_pk" PRIMARY KEY("tenant_id","project_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "project_members" ADD CONSTRAINT "project_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
INSERT INTO "project_members" ("tenant_id", "project_id", "user_id")
SELECT DISTINCT 'default', "project_id", "owner_id" FROM "executions";--> statement-breakpoint
ALTER TABLE "project_slots" ADD COLUMN "tenant_id" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "project_slots" ALTER COLUMN "tenant_id" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "project_slots" DROP CONSTRAINT "project_slots_pkey";--> statement-breakpoint
ALTER TABLE "project_slots" ADD CONSTRAINT "project_slots_tenant_id_project_id_pk" PRIMARY KEY("tenant_id","project_id");--> statement-breakpoint
ALTER TABLE "project_slot_waiters" ADD COLUMN "tenant_id" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "project_slot_waiters" ALTER COLUMN "tenant_id" DROP DEFAULT;--> statement-breakpoint
DROP INDEX "project_slot_waiters_queue_idx";--> statement-breakpoint
CREATE INDEX "project_slot_waiters_queue_idx" ON "project_slot_waiters" USING btree ("tenant_id","project_id","requested_at","request_id");
