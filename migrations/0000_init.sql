CREATE TABLE "audit_events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"incident_id" integer,
	"subject" text NOT NULL,
	"data" jsonb,
	"prev_hash" char(64) NOT NULL,
	"hash" char(64) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" serial PRIMARY KEY NOT NULL,
	"request_key" text NOT NULL,
	"title" text NOT NULL,
	"severity" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"customer_impact" text,
	"service" text,
	"is_private" boolean DEFAULT false NOT NULL,
	"declared_by" text NOT NULL,
	"declared_at" timestamp (3) with time zone NOT NULL,
	"origin_channel" text,
	"roles" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_status" text,
	"resolved_at" timestamp (3) with time zone,
	"resolved_by" text,
	"resolution" text,
	"version" integer DEFAULT 1 NOT NULL,
	"channel_name" text,
	"channel_id" text,
	"topic_set" boolean DEFAULT false NOT NULL,
	"invited" boolean DEFAULT false NOT NULL,
	"header_ts" text,
	"pinned" boolean DEFAULT false NOT NULL,
	"announce_channel_id" text,
	"announce_ts" text,
	"ready_at" timestamp (3) with time zone,
	"failed_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "work_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"run_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_events_incident_idx" ON "audit_events" USING btree ("incident_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_request_key_uq" ON "incidents" USING btree ("request_key");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_channel_id_uq" ON "incidents" USING btree ("channel_id");--> statement-breakpoint
CREATE INDEX "incidents_open_idx" ON "incidents" USING btree ("status","severity");--> statement-breakpoint
CREATE UNIQUE INDEX "work_items_dedupe_uq" ON "work_items" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "work_items_pending_idx" ON "work_items" USING btree ("status","run_at");