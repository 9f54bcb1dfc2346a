CREATE TABLE "compliance_digests" (
	"date" text PRIMARY KEY NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"posted_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "compliance_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"date" text NOT NULL,
	"opens_at" timestamp (3) with time zone NOT NULL,
	"warn_at" timestamp (3) with time zone NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"opened_at" timestamp (3) with time zone,
	"warned_at" timestamp (3) with time zone,
	"missed_at" timestamp (3) with time zone,
	"done_at" timestamp (3) with time zone,
	"done_by" text,
	"evidence" text,
	"note" text,
	"problem_at" timestamp (3) with time zone,
	"problem_note" text,
	"channel_id" text,
	"card_ts" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "compliance_runs_uq" ON "compliance_runs" USING btree ("task_id","date");--> statement-breakpoint
CREATE INDEX "compliance_runs_date_idx" ON "compliance_runs" USING btree ("date");--> statement-breakpoint
CREATE INDEX "compliance_runs_status_idx" ON "compliance_runs" USING btree ("status");