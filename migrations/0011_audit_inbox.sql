CREATE TABLE "audit_inbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"incident_id" integer,
	"subject" text NOT NULL,
	"data" jsonb,
	"inserted_at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_inbox_order_idx" ON "audit_inbox" USING btree ("xid","id");--> statement-breakpoint
CREATE INDEX "audit_inbox_incident_idx" ON "audit_inbox" USING btree ("incident_id");
--> statement-breakpoint
-- Ids start above the chain's last seq: work-item keys made from them (notice-<n>) stay unique.
SELECT setval(pg_get_serial_sequence('audit_inbox', 'id'), coalesce((SELECT max(seq) FROM audit_events), 0) + 1, false);
--> statement-breakpoint
-- Every audit event, sealed or not yet: what the bot shows (timelines) and what tests read right after a change.
-- `ord` sorts them as the chain has them and will have them: sealed by seq, then the inbox by (xid, id).
CREATE VIEW audit_trail AS
  SELECT seq, seq::numeric AS ord, occurred_at, actor, action, incident_id, subject, data, true AS sealed FROM audit_events
  UNION ALL
  SELECT NULL::bigint, 1e30 + (xid::text)::numeric * 1e15 + id, occurred_at, actor, action, incident_id, subject, data, false FROM audit_inbox;
