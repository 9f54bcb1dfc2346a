CREATE TABLE "audit_inbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ord" bigint,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"incident_id" integer,
	"subject" text NOT NULL,
	"data" jsonb,
	"inserted_at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_inbox_ord_idx" ON "audit_inbox" USING btree ("ord");--> statement-breakpoint
CREATE INDEX "audit_inbox_incident_idx" ON "audit_inbox" USING btree ("incident_id");--> statement-breakpoint
-- Ids start above the chain's last seq: work-item keys made from them (notice-<n>) stay unique.
SELECT setval(pg_get_serial_sequence('audit_inbox', 'id'), coalesce((SELECT max(seq) FROM audit_events), 0) + 1, false);
--> statement-breakpoint
CREATE SEQUENCE audit_inbox_ord_seq;
--> statement-breakpoint
-- Commit order. Runs at commit (deferred), after every statement of the transaction, so a change
-- that waited for another's row lock is numbered after it. The shared lock (class 7461007004) is
-- held from here until the commit has completed: the sealer takes it exclusively for a moment,
-- so when it reads, every numbered event is committed (or rolled back) and later ones sort after.
CREATE FUNCTION audit_inbox_number() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7461007004);
  UPDATE audit_inbox SET ord = nextval('audit_inbox_ord_seq') WHERE id = NEW.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER audit_inbox_numbered AFTER INSERT ON audit_inbox
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_inbox_number();
--> statement-breakpoint
-- Every audit event, sealed or not yet: what the bot shows (timelines) and what tests read right after a change.
-- `ord` sorts them as the chain has them and will have them: sealed by seq, then the inbox in commit order.
CREATE VIEW audit_trail AS
  SELECT seq, seq::numeric AS ord, occurred_at, actor, action, incident_id, subject, data, true AS sealed FROM audit_events
  UNION ALL
  SELECT NULL::bigint, 1e30 + ord, occurred_at, actor, action, incident_id, subject, data, false FROM audit_inbox;
