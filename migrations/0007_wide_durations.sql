ALTER TABLE "escalation_steps" ALTER COLUMN "lateness_ms" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "incidents" ALTER COLUMN "response_ms" SET DATA TYPE bigint;