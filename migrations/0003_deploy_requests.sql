CREATE TABLE "deploy_requests" (
	"id" serial PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"service" text NOT NULL,
	"summary" text NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp (3) with time zone NOT NULL,
	"for_at" timestamp (3) with time zone NOT NULL,
	"session" text NOT NULL,
	"risk" text NOT NULL,
	"window_name" text NOT NULL,
	"window_ends" timestamp (3) with time zone NOT NULL,
	"capacities" jsonb NOT NULL,
	"grants" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"freeze_incident_id" integer,
	"status" text DEFAULT 'pending' NOT NULL,
	"decided_by" text,
	"decided_at" timestamp (3) with time zone,
	"valid_from" timestamp (3) with time zone,
	"expires_at" timestamp (3) with time zone,
	"card_channel_id" text,
	"card_ts" text
);
--> statement-breakpoint
CREATE INDEX "deploy_requests_grant_idx" ON "deploy_requests" USING btree ("service","type","status","expires_at");