CREATE TABLE "pagerduty_webhooks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"webhook_id" text NOT NULL,
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"pd_incident_id" text,
	"incident_key" text,
	"incident_id" integer,
	"outcome" text NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "pagerduty_webhooks_webhook_id_uq" ON "pagerduty_webhooks" USING btree ("webhook_id");--> statement-breakpoint
CREATE INDEX "pagerduty_webhooks_incident_idx" ON "pagerduty_webhooks" USING btree ("incident_id");