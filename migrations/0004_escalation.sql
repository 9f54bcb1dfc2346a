CREATE TABLE "deliveries" (
	"id" serial PRIMARY KEY NOT NULL,
	"step_id" integer NOT NULL,
	"channel" text NOT NULL,
	"recipient" text NOT NULL,
	"status" text NOT NULL,
	"detail" text,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "escalation_steps" (
	"id" serial PRIMARY KEY NOT NULL,
	"incident_id" integer NOT NULL,
	"generation" integer NOT NULL,
	"step_index" integer NOT NULL,
	"severity" text NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"always" boolean NOT NULL,
	"actions" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"claimed_at" timestamp (3) with time zone,
	"fired_at" timestamp (3) with time zone,
	"lateness_ms" integer,
	"done_at" timestamp (3) with time zone,
	"outcome" jsonb
);
--> statement-breakpoint
CREATE TABLE "regulatory_checklists" (
	"incident_id" integer PRIMARY KEY NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"items" jsonb NOT NULL,
	"channel_id" text,
	"ts" text,
	"reminded_at" timestamp (3) with time zone,
	"completed_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "acknowledged_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "acknowledged_by" text;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "response_how" text;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "response_ms" integer;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "esc_generation" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "clock_start" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "clock_deferred_from" text;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "paged_services" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "last_status_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "status_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "next_nudge_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_uq" ON "deliveries" USING btree ("step_id","channel","recipient");--> statement-breakpoint
CREATE UNIQUE INDEX "escalation_steps_uq" ON "escalation_steps" USING btree ("incident_id","generation","step_index");--> statement-breakpoint
CREATE INDEX "escalation_steps_status_idx" ON "escalation_steps" USING btree ("status","due_at");