ALTER TABLE "audit_inbox" ADD COLUMN "committed_at" timestamp (3) with time zone;--> statement-breakpoint
-- The same numbering at commit, now also stamping when: the sealer's lag starts at the commit.
CREATE OR REPLACE FUNCTION audit_inbox_number() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7461007004);
  UPDATE audit_inbox SET ord = nextval('audit_inbox_ord_seq'), committed_at = clock_timestamp() WHERE id = NEW.id;
  RETURN NULL;
END;
$$;
