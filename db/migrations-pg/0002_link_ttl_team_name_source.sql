ALTER TABLE "events" ADD COLUMN "link_ttl_ms" integer;--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "name_source" text DEFAULT 'event' NOT NULL;