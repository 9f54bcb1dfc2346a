CREATE TABLE "alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"dedup_key" text NOT NULL,
	"occurrence" text NOT NULL,
	"status" text NOT NULL,
	"title" text NOT NULL,
	"severity" text NOT NULL,
	"service" text,
	"labels" jsonb NOT NULL,
	"link" text,
	"starts_at" timestamp (3) with time zone NOT NULL,
	"ends_at" timestamp (3) with time zone,
	"raw" jsonb NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	"route" text NOT NULL,
	"action" text NOT NULL,
	"group_key" text NOT NULL,
	"incident_id" integer,
	"posted_at" timestamp (3) with time zone,
	"post_key" text
);
--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "declarer_link" text;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_dedupe_uq" ON "alerts" USING btree ("source","dedup_key","status","occurrence");--> statement-breakpoint
CREATE INDEX "alerts_group_idx" ON "alerts" USING btree ("group_key","received_at");--> statement-breakpoint
CREATE INDEX "alerts_incident_idx" ON "alerts" USING btree ("incident_id","posted_at");--> statement-breakpoint
CREATE INDEX "alerts_post_key_idx" ON "alerts" USING btree ("post_key");