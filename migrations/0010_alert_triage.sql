CREATE TABLE "alert_triage" (
	"id" serial PRIMARY KEY NOT NULL,
	"group_key" text NOT NULL,
	"route" text NOT NULL,
	"channel" text NOT NULL,
	"channel_id" text,
	"ts" text,
	"title" text NOT NULL,
	"severity" text NOT NULL,
	"service" text,
	"status" text DEFAULT 'open' NOT NULL,
	"incident_id" integer,
	"decided_by" text,
	"decided_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"last_alert_at" timestamp (3) with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"rendered_version" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "triage_id" integer;--> statement-breakpoint
CREATE INDEX "alert_triage_group_idx" ON "alert_triage" USING btree ("group_key","last_alert_at");--> statement-breakpoint
CREATE INDEX "alerts_triage_idx" ON "alerts" USING btree ("triage_id");